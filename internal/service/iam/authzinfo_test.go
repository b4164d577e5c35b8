package iam

import (
	"strings"
	"testing"
)

// DeletionTaskRole accepts exactly the IDs DeleteServiceLinkedRole makes and gives back their role.
func FuzzDeletionTaskRole(f *testing.F) {
	for _, s := range []string{
		"task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/0f1e2d3c",
		"task/aws-service-role/a/b/c/d", "task/aws-service-role//x/y", "task/aws-service-role/", "task/other/a/b/c", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, task string) {
		path, name, ok := DeletionTaskRole(task)
		if !ok {
			if path != "" || name != "" {
				t.Fatalf("%q: not ok with %q %q", task, path, name)
			}
			return
		}
		service := strings.TrimSuffix(strings.TrimPrefix(path, serviceRolePathPrefix), "/")
		if service == "" || strings.Contains(service, "/") || name == "" || strings.Contains(name, "/") ||
			path != serviceRolePathPrefix+service+"/" {
			t.Fatalf("%q: path %q name %q", task, path, name)
		}
		id := task[strings.LastIndexByte(task, '/')+1:]
		if id == "" || "task"+path+name+"/"+id != task {
			t.Fatalf("%q does not round-trip: %q %q %q", task, path, name, id)
		}
	})
}

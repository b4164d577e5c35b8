package iam

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/testutil/apierr"
)

func TestSecretsHasher(t *testing.T) {
	var h secretsHasher
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hash, "correct horse") {
		t.Fatalf("hash %q leaks the password", hash)
	}
	if !h.Verify(hash, "correct horse") || h.Verify(hash, "correct horsf") {
		t.Error("Verify does not tell the right password from a wrong one")
	}
	for _, bad := range []string{"", "x", "$pbkdf2-sha256$i=0$AA$AA"} {
		if h.Verify(bad, "") {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	strict := passwordRules{minLength: 10, symbols: true, numbers: true, upper: true, lower: true}
	cases := []struct {
		rules func(string) string
		pw    string
		want  string
	}{
		{strict.violation, "Ab1!", "Password should have a minimum length of 10"},
		{strict.violation, "abcdefgh1!", "Password should have at least one uppercase letter"},
		{strict.violation, "ABCDEFGH1!", "Password should have at least one lowercase letter"},
		{strict.violation, "ABCDefgh!!", "Password should have at least one number"},
		{strict.violation, "ABCDefgh12", "Password should have at least one symbol"},
		{strict.violation, "ABCDefgh1|", ""},
		{passwordRules{minLength: 6}.violation, "aaaaaa", ""},
		{defaultViolation, "Ab1", "Password should have a minimum length of 8"},
		{defaultViolation, "abcdefgh", "Password should include at least three of the following character types: uppercase letters, lowercase letters, numbers, and symbols"},
		{defaultViolation, "abcdefg1", "Password should include at least three of the following character types: uppercase letters, lowercase letters, numbers, and symbols"},
		{defaultViolation, "abcdefG1", ""},
		{defaultViolation, "abcdef!1", ""},
	}
	for _, c := range cases {
		if got := c.rules(c.pw); got != c.want {
			t.Errorf("%q: got %q, want %q", c.pw, got, c.want)
		}
	}
	err := checkPassword(&storage.PasswordPolicy{MinimumPasswordLength: 12}, "short")
	assertAPIError(t, err, "PasswordPolicyViolation", 400, "Password should have a minimum length of 12")
}

func TestPagination(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	var seen []string
	var marker *string
	for range 10 {
		p, err := pageOf(marker, ptr(int32(2)))
		if err != nil {
			t.Fatal(err)
		}
		// Simulate a store: entries strictly after p.after, up to limit.
		var fetched []string
		for _, it := range items {
			if it > p.after && len(fetched) < p.limit() {
				fetched = append(fetched, it)
			}
		}
		got, truncated, next := paginate(fetched, p, func(s string) string { return s })
		seen = append(seen, got...)
		if !*truncated {
			if next != nil {
				t.Fatal("marker on the last page")
			}
			break
		}
		marker = next
	}
	if strings.Join(seen, "") != "abcde" {
		t.Fatalf("walk = %v", seen)
	}
	_, err := pageOf(ptr("%%%not base64"), nil)
	assertAPIError(t, err, "InvalidInput", 400, "Invalid Marker.")
	p, _ := pageOf(nil, nil)
	if p.max != defaultMaxItems {
		t.Errorf("default MaxItems = %d", p.max)
	}
	p, _ = pageOf(nil, ptr(int32(5000)))
	if p.max != maxMaxItems {
		t.Errorf("MaxItems not clamped: %d", p.max)
	}
}

func TestPaginateSlice(t *testing.T) {
	items := []int{1, 2, 3}
	got, tr, m, err := paginateSlice(items, nil, ptr(int32(2)))
	if err != nil || len(got) != 2 || !*tr || m == nil {
		t.Fatalf("page 1: %v %v %v %v", got, *tr, m, err)
	}
	got, tr, m, err = paginateSlice(items, m, ptr(int32(2)))
	if err != nil || len(got) != 1 || got[0] != 3 || *tr || m != nil {
		t.Fatalf("page 2: %v %v %v %v", got, *tr, m, err)
	}
	if _, _, _, err := paginateSlice(items, ptr("aTk5"), nil); err == nil { // "i99"
		t.Error("out-of-range marker accepted")
	}
}

func TestTags(t *testing.T) {
	existing := []storage.Tag{{Key: "Env", Value: "prod"}, {Key: "team", Value: "a"}}
	got, err := mergeTags(existing, []iamapi.Tag{{Key: ptr("env"), Value: ptr("dev")}, {Key: ptr("new"), Value: ptr("x")}}, "TagsPerUser")
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.Tag{{Key: "env", Value: "dev"}, {Key: "team", Value: "a"}, {Key: "new", Value: "x"}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if existing[0].Value != "prod" {
		t.Error("mergeTags modified its input")
	}
	_, err = mergeTags(nil, []iamapi.Tag{{Key: ptr("a"), Value: ptr("")}, {Key: ptr("A"), Value: ptr("")}}, "TagsPerUser")
	assertAPIError(t, err, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")

	many := make([]storage.Tag, maxTagsPerEntity)
	for i := range many {
		many[i] = storage.Tag{Key: "k" + string(rune('A'+i%26)) + string(rune('a'+i/26))}
	}
	_, err = mergeTags(many, []iamapi.Tag{{Key: ptr("one-more"), Value: ptr("")}}, "TagsPerRole")
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for TagsPerRole: 50")
	if _, err := mergeTags(many, []iamapi.Tag{{Key: ptr(many[3].Key), Value: ptr("v")}}, "TagsPerRole"); err != nil {
		t.Errorf("replacing a tag at the quota failed: %v", err)
	}

	left := removeTags(want, []string{"ENV", "absent"})
	if len(left) != 2 || left[0].Key != "team" || left[1].Key != "new" {
		t.Errorf("removeTags = %v", left)
	}
}

func TestBuildCredentialReport(t *testing.T) {
	created := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	used := created.Add(time.Hour)
	rows := []reportRow{
		{root: true, name: rootRowName, arn: "arn:aws:iam::123456789012:root", created: created, mfaActive: true,
			keys: []reportKey{{active: true, created: created}}},
		{name: "alice", arn: "arn:aws:iam::123456789012:user/alice", created: created, hasPassword: true,
			passwordChanged: created, passwordLastUsed: used,
			keys: []reportKey{
				{active: true, created: created, lastUsed: used, region: "us-east-1", service: "iam"},
				{active: false, created: used},
			},
			certs: []reportCert{{active: true, created: created}}},
		{name: "bob", arn: "arn:aws:iam::123456789012:user/bob", created: created},
		{name: "carol", arn: "arn:aws:iam::123456789012:user/carol", created: created, hasPassword: true},
	}
	out, err := buildCredentialReport(rows, 90)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || len(recs[0]) != 22 {
		t.Fatalf("%d records of %d columns", len(recs), len(recs[0]))
	}
	col := func(row int, name string) string {
		for i, h := range recs[0] {
			if h == name {
				return recs[row][i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	checks := []struct {
		row        int
		col, value string
	}{
		{1, "user", "<root_account>"},
		{1, "user_creation_time", "2025-03-04T05:06:07+00:00"},
		{1, "password_enabled", "not_supported"},
		{1, "password_last_used", "no_information"},
		{1, "password_last_changed", "not_supported"},
		{1, "password_next_rotation", "not_supported"},
		{1, "mfa_active", "true"},
		{1, "access_key_1_active", "true"},
		{1, "access_key_1_last_used_date", "N/A"},
		{1, "access_key_2_active", "false"},
		{1, "access_key_2_last_rotated", "N/A"},
		{2, "password_enabled", "true"},
		{2, "password_last_used", "2025-03-04T06:06:07+00:00"},
		{2, "password_last_changed", "2025-03-04T05:06:07+00:00"},
		{2, "password_next_rotation", "2025-06-02T05:06:07+00:00"},
		{2, "access_key_1_last_used_region", "us-east-1"},
		{2, "access_key_1_last_used_service", "iam"},
		{2, "access_key_2_active", "false"},
		{2, "access_key_2_last_rotated", "2025-03-04T06:06:07+00:00"},
		{2, "access_key_2_last_used_date", "N/A"},
		{2, "cert_1_active", "true"},
		{2, "cert_2_active", "false"},
		{2, "cert_2_last_rotated", "N/A"},
		{3, "password_enabled", "false"},
		{3, "password_last_used", "N/A"},
		{3, "password_last_changed", "N/A"},
		{3, "mfa_active", "false"},
		{3, "access_key_1_active", "false"},
		{4, "password_last_used", "no_information"},
	}
	for _, c := range checks {
		if got := col(c.row, c.col); got != c.value {
			t.Errorf("row %d %s = %q, want %q", c.row, c.col, got, c.value)
		}
	}
}

// assertAPIError checks an error's wire code, HTTP status and message.
func assertAPIError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	if ae := apierr.Want(t, "", err, code, status, msg); ae.ErrorMessage() != msg {
		t.Fatalf("got %s %d %q, want %s %d %q", ae.ErrorCode(), ae.HTTPStatus(), ae.ErrorMessage(), code, status, msg)
	}
}

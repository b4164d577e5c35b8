package console_test

import (
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/e2etest"
)

// A password sign-in acts in the partition of the host the console was reached at, as an API request
// signed with a long-term key does: at an aws-cn endpoint's name the user's ARN is arn:aws-cn:…, at a
// name that is no AWS endpoint's, arn:aws:….
func TestSignInPartitionFromHost(t *testing.T) {
	s := startConsole(t)
	s.user(t, "alice", "Correct-Horse-1")
	for _, c := range []struct{ host, want string }{
		{"iam.cn-north-1.amazonaws.com.cn", "arn:aws-cn:iam::" + e2etest.AccountID + ":user/alice"},
		{"", "arn:aws:iam::" + e2etest.AccountID + ":user/alice"},
	} {
		h := newHTTPClient(t, s)
		if c.host != "" {
			h.host, h.origin = c.host, "https://"+c.host
		}
		h.signIn("alice", "Correct-Horse-1")
		if _, body, _ := h.get("/"); !strings.Contains(body, c.want+"<") {
			t.Errorf("signed in at %q: the dashboard does not show %s", c.host, c.want)
		}
	}
}

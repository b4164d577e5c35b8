package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/iamd/iamd/internal/e2etest"
)

// What a person does in the console is in the audit trail as the API's calls are: the signed-in user's
// CreateRole, allowed, and a refused one, each an event naming that user, read back with LookupEvents.
func TestConsoleCallsAreInTheTrail(t *testing.T) {
	s := startConsole(t)
	s.user(t, "carol", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	s.user(t, "reader", "Correct-Horse-2", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		e2etest.AccountID + `:root"},"Action":"sts:AssumeRole"}]}`

	carol := newHTTPClient(t, s)
	csrf := carol.signIn("carol", "Correct-Horse-1")
	if resp := carol.post("/roles/new", url.Values{"csrf": {csrf}, "name": {"from-console"}, "trust": {trust}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("creating a role in the console answered %d", resp.StatusCode)
	}
	reader := newHTTPClient(t, s)
	csrf = reader.signIn("reader", "Correct-Horse-2")
	if resp := reader.post("/roles/new", url.Values{"csrf": {csrf}, "name": {"denied-role"}, "trust": {trust}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a read-only user's CreateRole answered %d, want 403", resp.StatusCode)
	}

	ct := s.CloudTrail(e2etest.RootCreds(), "us-east-1")
	events := map[string]map[string]any{} // userName → the record of its CreateRole
	deadline := time.Now().Add(10 * time.Second)
	for len(events) < 2 && time.Now().Before(deadline) {
		out, err := ct.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
			{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateRole")}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			var rec map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
				t.Fatal(err)
			}
			events[aws.ToString(e.Username)] = rec
		}
		time.Sleep(50 * time.Millisecond) // refusals are written behind
	}
	ok, found := events["carol"]
	if !found || ok["errorCode"] != nil || ok["requestParameters"].(map[string]any)["roleName"] != "from-console" {
		t.Errorf("carol's CreateRole from the console: %v", ok)
	}
	denied, found := events["reader"]
	if !found || denied["errorCode"] != "AccessDenied" {
		t.Errorf("reader's refused CreateRole from the console: %v", denied)
	}
}

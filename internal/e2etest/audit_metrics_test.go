package e2etest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// /metrics tells the trail's two stages apart: calls waiting to be encoded (the queue) and events encoded
// into the batch being gathered. Once the batch is written both are back at zero and the events counted
// as written.
func TestMetricsExportTheTrailsStages(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	written := metricValue(t, s.URL, "iamd_audit_events_written_total")
	const calls = 5
	for range calls {
		if _, err := s.STS(RootCreds(), "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		depth := metricValue(t, s.URL, "iamd_audit_queue_depth")
		batched := metricValue(t, s.URL, "iamd_audit_batch_events")
		if depth < 0 || batched < 0 || batched > calls+1 {
			t.Fatalf("queue depth %v, batched %v", depth, batched)
		}
		if depth == 0 && batched == 0 && metricValue(t, s.URL, "iamd_audit_events_written_total")-written >= calls {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: queue depth %v, batched %v, written %v more", depth, batched,
				metricValue(t, s.URL, "iamd_audit_events_written_total")-written)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

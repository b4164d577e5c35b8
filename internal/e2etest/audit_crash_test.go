package e2etest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/storage/pgtest"
)

// TestTrailSurvivesSIGKILL: iamd is killed with SIGKILL under a stream of CreateUser calls; every
// CreateUser it acknowledged has its event in the trail afterwards (the event is committed with the
// user), as `iamd audit export` reads it from the data directory of the restarted node.
func TestTrailSurvivesSIGKILL(t *testing.T) {
	trailSurvivesKill(t, nil, "--data-dir", t.TempDir())
}

// The same on PostgreSQL, where a write's statements and its preliminary event go to the database in
// pgx's pipeline, with the COMMIT: the node dies mid-stream, the database keeps running.
func TestTrailSurvivesSIGKILLPostgres(t *testing.T) {
	if !pgtest.Available() {
		t.Skip("PostgreSQL not installed")
	}
	env := []string{"IAMD_MASTER_KEY=" + newMasterKey(t)}
	trailSurvivesKill(t, env, "--data-dir", t.TempDir(), "--database-url", pgtest.URL(t))
}

// trailSurvivesKill kills an iamd started with env and store (its store flags) under CreateUser load,
// restarts it on the same store, and checks that every acknowledged CreateUser has its event.
func trailSurvivesKill(t *testing.T, env []string, store ...string) {
	p := startIamd(t, env, store...)
	c := p.server().IAM(RootCreds())
	ctx := context.Background()
	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		n       atomic.Int64
		killing atomic.Bool
		wg      sync.WaitGroup
		enough  = make(chan struct{})
		once    sync.Once
	)
	for w := range crashWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				name := fmt.Sprintf("trail-w%d-%05d", w, i)
				if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
					if !killing.Load() {
						t.Errorf("CreateUser %s before the kill: %v", name, err)
					}
					return
				}
				mu.Lock()
				acked[name] = true
				mu.Unlock()
				if n.Add(1) >= crashAcksBeforeKill {
					once.Do(func() { close(enough) })
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		t.Fatalf("only %d users acknowledged", n.Load())
	}
	killing.Store(true)
	p.kill()
	wg.Wait()
	// Restarted on the same data, and exported beside the serving node.
	startIamd(t, env, store...)

	cmd := exec.Command(iamdBinary(t), append(append([]string{"audit", "export"}, store...), "--since", "2000-01-01")...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("iamd audit export: %v\n%s", err, stderr.String())
	}
	recorded := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		var rec struct {
			EventName         string
			RequestParameters struct{ UserName string }
			ErrorCode         string
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("export line %d is not JSON: %v", lines, err)
		}
		if rec.EventName == "CreateUser" && rec.ErrorCode == "" {
			recorded[rec.RequestParameters.UserName] = true
		}
	}
	missing := 0
	for name := range acked {
		if !recorded[name] {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged CreateUser %s has no event after SIGKILL", name)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged CreateUser calls have no event", missing, len(acked))
	}
	if !strings.Contains(stderr.String(), "exported") {
		t.Fatalf("export did not report: %s", stderr.String())
	}
	t.Logf("killed with %d CreateUser acknowledged; all in the trail (%d events exported)", len(acked), lines)
}

package e2etest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/config"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/pgtest"
)

// stop ends the process with SIGTERM (a clean shutdown: the WAL is checkpointed) and waits for it.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	if err := p.wait(); err != nil {
		p.t.Fatalf("iamd exited with %v\n%s", err, p.stderr.String())
	}
}

// serveRefused runs `iamd serve` expecting it to refuse to start: it must exit non-zero before it
// listens. It returns the process's output.
func serveRefused(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), processStartWait)
	defer cancel()
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...)
	cmd := exec.CommandContext(ctx, iamdBinary(t), args...)
	cmd.Env = append(os.Environ(), "IAMD_ROOT_ACCESS_KEY_ID="+RootKeyID, "IAMD_ROOT_SECRET_ACCESS_KEY="+RootSecret)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ctx.Err() != nil || strings.Contains(string(out), "iamd listening") {
		t.Fatalf("iamd %v started (or did not exit): %v\n%s", args, err, out)
	}
	return string(out)
}

// sealedState is what a start could re-seal: every root access key's sealed secret and the token key
// ring, read from the store directly.
func sealedState(t *testing.T, cfg *config.Config) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	st, err := app.OpenStore(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]byte{}
	err = st.View(ctx, func(tx storage.Tx) error {
		clear(out)
		keys, err := tx.ListAccessKeys(ctx, AccountID, "")
		if err != nil {
			return err
		}
		for _, k := range keys {
			out["key "+k.ID] = append([]byte(k.Status+":"), k.SecretSealed...)
		}
		ring, err := tx.GetKeyRing(ctx)
		if err != nil {
			return err
		}
		for _, k := range ring.Keys {
			out[fmt.Sprintf("token key %08x", k.ID)] = k.Sealed
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameState(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func writeSecretFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A start with the wrong master key is refused, with a clear error and a non-zero exit, before it writes
// anything: the database file is byte for byte the same, and the right key still starts. The right key
// comes from --master-key-file here.
func TestAdversarialWrongMasterKeyWritesNothing(t *testing.T) {
	dir := t.TempDir()
	keyFile := writeSecretFile(t, newMasterKey(t))
	p := startIamd(t, nil, "--data-dir", dir, "--master-key-file", keyFile)
	_, err := p.server().IAM(RootCreds()).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("before")})
	ok(t, "CreateUser", err)
	p.stop()

	dbPath := filepath.Join(dir, "iamd.db")
	cfg := &config.Config{DataDir: dir}
	sealed := sealedState(t, cfg)
	before, err := os.ReadFile(dbPath) // after the test's own look, which closed the file again
	ok(t, "reading the database", err)

	out := serveRefused(t, []string{"IAMD_MASTER_KEY=" + newMasterKey(t)}, "--data-dir", dir)
	after, err := os.ReadFile(dbPath)
	ok(t, "reading the database", err)
	if !bytes.Equal(before, after) {
		t.Error("the refused start changed the database file")
	}
	if got := sealedState(t, cfg); !sameState(sealed, got) {
		t.Error("the refused start re-sealed secrets")
	}
	if !strings.Contains(out, "wrong master key") {
		t.Fatalf("the refusal does not name the likely cause:\n%s", out)
	}

	p = startIamd(t, nil, "--data-dir", dir, "--master-key-file", keyFile)
	_, err = p.server().IAM(RootCreds()).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("before")})
	ok(t, "GetUser with the right key after the refused start", err)
}

// On PostgreSQL a node started with the wrong master key must not damage the database the other nodes
// share: it is refused, and the running node keeps authenticating the root key.
func TestAdversarialWrongMasterKeyNodeLeavesSharedDatabaseAlone(t *testing.T) {
	if !pgtest.Available() {
		t.Skip("PostgreSQL not installed")
	}
	dbURL := pgtest.URL(t)
	right := newMasterKey(t)
	a := startIamd(t, []string{"IAMD_MASTER_KEY=" + right}, "--data-dir", t.TempDir(), "--database-url", dbURL)
	stsA := a.server().STS(RootCreds(), "us-east-1")
	_, err := stsA.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	ok(t, "GetCallerIdentity on node A", err)
	cfg := &config.Config{DatabaseURL: dbURL}
	sealed := sealedState(t, cfg)

	out := serveRefused(t, []string{"IAMD_MASTER_KEY=" + newMasterKey(t)}, "--data-dir", t.TempDir(), "--database-url", dbURL)
	if got := sealedState(t, cfg); !sameState(sealed, got) {
		t.Error("the refused node re-sealed shared secrets")
	}
	if !strings.Contains(out, "wrong master key") {
		t.Fatalf("the refusal does not name the likely cause:\n%s", out)
	}
	// The running node still authenticates the root key (its cache was told of any change).
	_, err = stsA.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	ok(t, "GetCallerIdentity on node A after the refused node", err)
	// A new node with the right key (which reads everything from the database) still starts and serves.
	b := startIamd(t, []string{"IAMD_MASTER_KEY=" + right}, "--data-dir", t.TempDir(), "--database-url", dbURL)
	_, err = b.server().STS(RootCreds(), "us-east-1").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	ok(t, "GetCallerIdentity on a new node with the right key", err)
}

// rootKeyStatus returns the preset root key's status as ListAccessKeys reports it ("" when absent).
func rootKeyStatus(t *testing.T, c *iam.Client) string {
	t.Helper()
	out, err := c.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{})
	ok(t, "ListAccessKeys", err)
	for _, k := range out.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == RootKeyID {
			return string(k.Status)
		}
	}
	return ""
}

// A preset root key the operator deactivated stays inactive across restarts, and one deleted through the
// API stays deleted (AWS never brings a deleted key back); the preset secret arrives from a file here.
func TestAdversarialPresetRootKeyIsNotRevived(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := []string{"IAMD_ROOT_SECRET_ACCESS_KEY=", "IAMD_ROOT_SECRET_ACCESS_KEY_FILE=" + writeSecretFile(t, RootSecret)}
	args := []string{"--data-dir", dir, "--master-key-file", writeSecretFile(t, newMasterKey(t))}
	p := startIamd(t, env, args...)
	// A second root key to administer the preset one with.
	k, err := p.server().IAM(RootCreds()).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	ok(t, "CreateAccessKey (root)", err)
	second := Creds(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	_, err = p.server().IAM(second).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(RootKeyID),
		Status: iamtypes.StatusTypeInactive})
	ok(t, "UpdateAccessKey Inactive", err)
	p.stop()

	p = startIamd(t, env, args...)
	if st := rootKeyStatus(t, p.server().IAM(second)); st != "Inactive" {
		t.Fatalf("after a restart the deactivated preset key is %q", st)
	}
	_, err = p.server().STS(RootCreds(), "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "the deactivated preset key", err, "InvalidClientTokenId", 403, "")

	_, err = p.server().IAM(second).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(RootKeyID)})
	ok(t, "DeleteAccessKey", err)
	p.stop()
	p = startIamd(t, env, args...)
	if st := rootKeyStatus(t, p.server().IAM(second)); st != "" {
		t.Fatalf("after a restart the deleted preset key is back (%s)", st)
	}
}

// A burst of ChangePassword calls (each would verify a guessed password with PBKDF2) is answered with
// AWS's Throttling once the user's budget is spent.
func TestAdversarialChangePasswordBurstIsThrottled(t *testing.T) {
	ctx := context.Background()
	p := startIamd(t, nil, "--data-dir", t.TempDir())
	s := p.server()
	pat := newUser(t, s, RootCreds(), "pat")
	allow(t, s, RootCreds(), "pat", "iam:ChangePassword", "arn:aws:iam::"+AccountID+":user/pat")
	_, err := s.IAM(RootCreds()).CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("pat"),
		Password: aws.String("Right-Pass-123")})
	ok(t, "CreateLoginProfile", err)
	c := s.IAM(pat)
	for i := 0; ; i++ {
		_, err := c.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(fmt.Sprintf("guess-%d", i)),
			NewPassword: aws.String("New-Pass-4567")})
		if got := errorOf(t, err); got.Code == "Throttling" {
			wantError(t, "guess", err, "Throttling", 400, "Rate exceeded")
			return
		}
		wantError(t, "guess", err, "AccessDenied", 403, "The old password is incorrect.")
		if i >= 20 {
			t.Fatalf("%d guesses in a burst and no Throttling", i+1)
		}
	}
}

// The data directory iamd creates and the SQLite files in it (which hold sealed secrets and password
// hashes) are the owner's alone.
func TestAdversarialDataFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh", "data")
	p := startIamd(t, nil, "--data-dir", dir)
	_, err := p.server().IAM(RootCreds()).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("u")})
	ok(t, "CreateUser", err)
	want := map[string]os.FileMode{dir: 0o700}
	for _, f := range []string{"iamd.db", "iamd.db-wal", "iamd.db-shm", "master.key"} {
		want[filepath.Join(dir, f)] = 0o600
	}
	for path, mode := range want {
		st, err := os.Stat(path)
		ok(t, "stat", err)
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %o, want %o", path, st.Mode().Perm(), mode)
		}
	}
}

// The admin API applies the same limits on temporary credentials as the AWS APIs: a federated user's
// session (even with a session policy allowing everything) cannot change STS regional activation, nor
// can a GetSessionToken session without MFA.
func TestAdversarialAdminAPIRefusesRestrictedSessions(t *testing.T) {
	ctx := context.Background()
	p := startIamd(t, nil, "--data-dir", t.TempDir())
	s := p.server()
	alice := newUser(t, s, RootCreds(), "alice")
	allow(t, s, RootCreds(), "alice", "*", "*")
	fed, err := s.STS(alice, "us-east-1").GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	ok(t, "GetFederationToken", err)
	status, body := adminSTSRegion(t, s, sessionCreds(fed.Credentials), "us-west-2", "deactivate")
	if m, _ := body.(map[string]any); status != 403 || m["code"] != "AccessDenied" {
		t.Fatalf("federated session deactivating us-west-2: %d %v", status, body)
	}
	sess, err := s.STS(alice, "us-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	ok(t, "GetSessionToken", err)
	status, body = adminSTSRegion(t, s, sessionCreds(sess.Credentials), "us-west-2", "deactivate")
	if m, _ := body.(map[string]any); status != 403 || m["code"] != "InvalidClientTokenId" {
		t.Fatalf("session without MFA deactivating us-west-2: %d %v", status, body)
	}
	// The long-term key of the same user may (its policy allows everything): the refusals above are the
	// session's limits, not the user's policy.
	status, body = adminSTSRegion(t, s, alice, "us-west-2", "deactivate")
	if status != 200 {
		t.Fatalf("alice's own key: %d %v", status, body)
	}
}

package e2etest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/storage/pgtest"
)

// backupLoadWriters keep creating users while the backup runs, so that it is taken from a live database.
const backupLoadWriters = 3

// `iamd backup` copies a running server's SQLite store; a server started on a new data directory holding
// the copy as iamd.db, with the same master key, has the users and keys of the moment of the backup.
func TestBackupRestore(t *testing.T) {
	bin := iamdBinary(t)
	ctx := context.Background()
	src := t.TempDir()
	p := startIamd(t, nil, "--data-dir", src)
	c := p.server().IAM(RootCreds())

	// State before the backup: users, one with an access key and a login-less inline policy.
	for i := range 20 {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("kept-%02d", i)),
			Path: aws.String("/backup/")}); err != nil {
			t.Fatal(err)
		}
	}
	keyOut, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kept-00")})
	if err != nil {
		t.Fatal(err)
	}
	userCreds := Creds(aws.ToString(keyOut.AccessKey.AccessKeyId), aws.ToString(keyOut.AccessKey.SecretAccessKey), "")
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("kept-00"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}

	// Online: writers keep the server busy while the backup is taken.
	var (
		stop atomic.Bool
		wg   sync.WaitGroup
		n    atomic.Int64
	)
	for w := range backupLoadWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load() && i < 10000; i++ {
				if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("during-w%d-%04d", w, i))}); err != nil {
					t.Errorf("CreateUser during the backup: %v", err)
					return
				}
				n.Add(1)
			}
		}()
	}
	out := filepath.Join(t.TempDir(), "iamd-backup.db")
	cmd := exec.Command(bin, "backup", "--out", out, "--data-dir", src)
	msg, err := cmd.CombinedOutput()
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("iamd backup: %v\n%s", err, msg)
	}
	if !strings.Contains(string(msg), "backup written to "+out) {
		t.Fatalf("iamd backup said: %s", msg)
	}
	t.Logf("backup taken while %d users were created concurrently", n.Load())
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v; want 0600 (it holds sealed secrets)", err, st.Mode().Perm())
	}
	// A backup never overwrites an existing file.
	if msg, err := exec.Command(bin, "backup", "--out", out, "--data-dir", src).CombinedOutput(); err == nil {
		t.Fatalf("second backup onto the same file succeeded: %s", msg)
	}

	// Written after the backup: must not be in the restored copy.
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("after-backup")}); err != nil {
		t.Fatal(err)
	}

	// Restore: a new data directory holding the backup as iamd.db, with the same master key (given through
	// the environment here; copying master.key works as well).
	key, err := os.ReadFile(filepath.Join(src, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "iamd.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	q := startIamd(t, []string{"IAMD_MASTER_KEY=" + strings.TrimSpace(string(key))}, "--data-dir", dst)
	r := q.server().IAM(RootCreds())

	names, err := listAllUsers(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, nm := range names {
		have[nm] = true
	}
	for i := range 20 {
		if nm := fmt.Sprintf("kept-%02d", i); !have[nm] {
			t.Errorf("restored server lacks %s", nm)
		}
	}
	if have["after-backup"] {
		t.Error("restored server has a user created after the backup")
	}
	sum, err := r.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if int(sum.SummaryMap["Users"]) != len(names) {
		t.Fatalf("restored: GetAccountSummary Users = %d, ListUsers walk = %d", sum.SummaryMap["Users"], len(names))
	}
	u, err := r.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("kept-03")})
	if err != nil || aws.ToString(u.User.Path) != "/backup/" {
		t.Fatalf("restored GetUser kept-03: %+v, %v", u, err)
	}
	// The user's key authenticates (its sealed secret opens with the master key) and its policy applies.
	if arn, err := callerARN(q.server(), userCreds); err != nil || arn != "arn:aws:iam::"+AccountID+":user/backup/kept-00" {
		t.Fatalf("restored: GetCallerIdentity with kept-00's key: %q, %v", arn, err)
	}
	if _, err := q.server().IAM(userCreds).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("restored: ListUsers with kept-00's key (allowed by its inline policy): %v", err)
	}
	if _, err := q.server().IAM(userCreds).ListRoles(ctx, &iam.ListRolesInput{}); errorCodeOf(err) != "AccessDenied" {
		t.Fatalf("restored: ListRoles with kept-00's key: %v, want AccessDenied", err)
	}
	// Session tokens work too: the token key ring came along, sealed with the same master key.
	if _, err := q.server().STS(userCreds, "us-east-1").GetSessionToken(ctx, nil); err != nil {
		t.Fatalf("restored: GetSessionToken: %v", err)
	}

	// With another master key the sealed secrets do not open: the server refuses to start rather than
	// serve with keys it cannot check.
	wrong := t.TempDir()
	if err := os.WriteFile(filepath.Join(wrong, "iamd.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, processStartWait)
	defer cancel()
	bad := exec.CommandContext(sctx, bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", wrong)
	bad.Env = append(os.Environ(), "IAMD_MASTER_KEY="+newMasterKey(t))
	msg, err = bad.CombinedOutput()
	if err == nil || sctx.Err() != nil {
		t.Fatalf("iamd serve on the backup with another master key: %v (want a non-zero exit)\n%s", err, msg)
	}
	t.Logf("with another master key: %s", strings.TrimSpace(string(msg)))
}

// pgTool finds a PostgreSQL client program (pg_dump, pg_restore) of the newest installed version, the one
// pgtest starts its server from.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// The PostgreSQL backup documented in docs/operations.md: pg_dump of a live database, pg_restore into an
// empty one, and a node with the same master key on the restored database serves the same data.
func TestBackupRestorePostgres(t *testing.T) {
	src := pgtest.URL(t)
	key := newMasterKey(t)
	a := Start(t, Options{DatabaseURL: src, MasterKey: key})
	ctx := context.Background()
	creds := newUserWithKey(t, a, "pg-kept")
	if _, err := a.IAM(RootCreds()).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("pg-kept"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := a.IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("pg-user-%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	dump := filepath.Join(t.TempDir(), "iamd.dump")
	if out, err := exec.Command(pgTool(t, "pg_dump"), "--format=custom", "--file="+dump, src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if _, err := a.IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("pg-after-dump")}); err != nil {
		t.Fatal(err)
	}

	dst := pgtest.URL(t)
	if out, err := exec.Command(pgTool(t, "pg_restore"), "--no-owner", "--exit-on-error", "--dbname="+dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	b := Start(t, Options{DatabaseURL: dst, MasterKey: key})
	names, err := listAllUsers(ctx, b.IAM(RootCreds()))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 11 || slices.Contains(names, "pg-after-dump") {
		t.Fatalf("restored users: %v; want pg-kept and pg-user-0..9", names)
	}
	if arn, err := callerARN(b, creds); err != nil || arn != "arn:aws:iam::"+AccountID+":user/pg-kept" {
		t.Fatalf("restored: GetCallerIdentity with pg-kept's key: %q, %v", arn, err)
	}
	if _, err := b.IAM(creds).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("restored: ListUsers allowed by pg-kept's inline policy: %v", err)
	}
	// Sessions issued before the dump open on the restored database: the token key ring came along.
	out, err := a.STS(creds, "us-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	sess := Creds(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	if _, err := callerARN(b, sess); err != nil {
		t.Fatalf("restored: a session token of the original database: %v", err)
	}
}

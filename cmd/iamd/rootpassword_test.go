package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/app"
	"github.com/iamd/iamd/internal/config"
	iamsvc "github.com/iamd/iamd/internal/service/iam"
)

// iamd accounts root-password reads the password from stdin, refuses one AWS would not take, never
// prints it, and stores it hashed so that the console's root sign-in accepts it.
func TestAccountsRootPassword(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := runIamd(t, nil, "accounts", "create", "--account-id", "111122223333", "--data-dir", dir); err != nil {
		t.Fatalf("accounts create: %v\n%s", err, stderr)
	}
	set := func(stdin string, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), startWait)
		defer cancel()
		cmd := iamdCmd(ctx, nil, append([]string{"accounts", "root-password", "--data-dir", dir}, args...)...)
		var out bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	if out, err := set("weak\n", "--account-id", "111122223333"); err == nil || !strings.Contains(out, "Password should have a minimum length of 8") {
		t.Fatalf("a weak password: %v\n%s", err, out)
	}
	if out, err := set("Root-Password-123\n", "--account-id", "999999999999"); err == nil || !strings.Contains(out, "does not exist") {
		t.Fatalf("an unknown account: %v\n%s", err, out)
	}
	out, err := set("Root-Password-123\n", "--account-id", "111122223333")
	if err != nil || strings.Contains(out, "Root-Password-123") || !strings.Contains(out, "root password set for account 111122223333") {
		t.Fatalf("root-password: %v\n%s", err, out)
	}

	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := app.OpenStore(ctx, &config.Config{DataDir: dir}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := iamsvc.New(iamsvc.Options{Store: store, Logger: log})
	for pw, want := range map[string]bool{"Root-Password-123": true, "Root-Password-124": false} {
		got, err := svc.VerifyRootPassword(ctx, "aws", "111122223333", pw)
		if err != nil || got.OK != want {
			t.Errorf("VerifyRootPassword(%q) = %v, %v; want %v", pw, got.OK, err, want)
		}
	}
}

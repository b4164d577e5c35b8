package e2etest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/pgtest"
	"github.com/iamd/iamd/internal/testutil/apierr"
)

// propagationDeadline is how soon a change made on one node must be in force on every other node: the
// consistency contract's bound (docs/architecture.md, "Caching"): two polls of the change sequence, which
// catch a lost notification; with notifications, changes arrive within milliseconds.
const propagationDeadline = time.Second

// readinessDeadline bounds how long /readyz may take to notice the database going away or coming back:
// the pool has to find its connections dead and dial again.
const readinessDeadline = 15 * time.Second

// TestMain stops the throwaway PostgreSQL cluster and removes the iamd binary built for the process
// tests once every test of the package has run.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	removeBuiltBinary()
	os.Exit(code)
}

// newMasterKey returns a fresh base64 master key, as an operator would generate for a cluster.
func newMasterKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// errorCodeOf returns the AWS error code of an SDK error ("" for nil or a non-API error).
func errorCodeOf(err error) string { return apierr.Code(err) }

// pollFor calls check until it returns nil or deadline passes; it returns how long that took and the last
// error. It never sleeps a fixed time and then asserts: the deadline is an upper bound only.
func pollFor(deadline time.Duration, check func() error) (time.Duration, error) {
	start := time.Now()
	wait := 5 * time.Millisecond
	for {
		err := check()
		if err == nil {
			return time.Since(start), nil
		}
		if time.Since(start) > deadline {
			return time.Since(start), err
		}
		time.Sleep(wait)
		wait = min(wait*2, 100*time.Millisecond)
	}
}

// startNodes starts n servers on one fresh PostgreSQL database sharing one master key.
func startNodes(t *testing.T, n int) []*Server {
	t.Helper()
	dbURL := pgtest.URL(t)
	key := newMasterKey(t)
	nodes := make([]*Server, n)
	for i := range nodes {
		nodes[i] = Start(t, Options{DatabaseURL: dbURL, MasterKey: key})
	}
	return nodes
}

// newUserWithKey creates a user and an access key for it through node s and returns the key's credentials.
func newUserWithKey(t *testing.T, s *Server, name string) aws.CredentialsProvider {
	t.Helper()
	ctx := context.Background()
	c := s.IAM(RootCreds())
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return Creds(aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey), "")
}

// callerARN returns the ARN GetCallerIdentity answers on node s with creds.
func callerARN(s *Server, creds aws.CredentialsProvider) (string, error) {
	out, err := s.STS(creds, "us-east-1").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

// Bounds of warmKey's wait for the key-use writes of a first use to settle.
const (
	keyWritesQuiet   = 300 * time.Millisecond
	keyWritesSettled = 10 * time.Second
)

// warmKey leaves creds' access key in the credential cache of every node, so that a later refusal proves
// that an invalidation arrived. A key's first use on a node records its last use (a write, throttled per
// node), and that write's change notification drops the key from every cache: left alone, the caches
// would be empty again and a deleted key refused even with no notification at all. So: use the key on
// every node, wait until no more changes to it arrive, and use it again (that use writes nothing).
func warmKey(t *testing.T, nodes []*Server, creds aws.CredentialsProvider) {
	t.Helper()
	v, err := creds.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	subs := make([]<-chan storage.Change, len(nodes))
	for i, n := range nodes {
		ch, cancel := n.App.Store.Subscribe()
		defer cancel()
		subs[i] = ch
	}
	for i, n := range nodes {
		if _, err := callerARN(n, creds); err != nil {
			t.Fatalf("node %d: first use of the key: %v", i, err)
		}
	}
	// Settle: an extra wait here can only make the test stricter, never make it pass wrongly.
	end := time.Now().Add(keyWritesSettled)
	for i := range subs {
		for quiet := time.NewTimer(keyWritesQuiet); ; {
			select {
			case ch := <-subs[i]:
				if ch.Kind == storage.ChangeAccessKey && ch.Key == v.AccessKeyID || ch.Kind == storage.ChangeAll {
					quiet.Reset(keyWritesQuiet)
				}
				continue
			case <-quiet.C:
			}
			break
		}
		if time.Now().After(end) {
			break
		}
	}
	for i, n := range nodes {
		if _, err := callerARN(n, creds); err != nil {
			t.Fatalf("node %d: second use of the key: %v", i, err)
		}
	}
}

// Three nodes on one PostgreSQL serve the same accounts: a write is read at once on the node that made it
// and within propagationDeadline on the others, and caches of keys, policies and account settings follow
// changes made on another node.
func TestMultiNode(t *testing.T) {
	nodes := startNodes(t, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	others := []*Server{b, c}
	ctx := context.Background()

	// The consistency contract (docs/architecture.md, "Caching"): a write is read at once on the node
	// that made it, and on every other node within propagationDeadline; the time each other node took is
	// measured and logged (the contract's figures come from here).
	t.Run("ReadYourWritesOnWriterOthersWithinBound", func(t *testing.T) {
		var lag lags
		getUser := func(n *Server, name string) (*iamtypes.User, error) {
			out, err := n.IAM(RootCreds()).GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
			if err != nil {
				return nil, err
			}
			return out.User, nil
		}
		exists := func(n *Server, name string) func() error {
			return func() error { _, err := getUser(n, name); return err }
		}
		for i := range 5 {
			name := fmt.Sprintf("mn-user-%d", i)
			if _, err := a.IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
				t.Fatalf("CreateUser on A: %v", err)
			}
			if err := exists(a, name)(); err != nil {
				t.Fatalf("GetUser %s on A right after CreateUser on A: %v", name, err)
			}
			for j, n := range others {
				lag.add(t, fmt.Sprintf("user %s created on A, node %d", name, j+1), exists(n, name))
			}
		}

		// A row every node holds in its cache: each change replaces it on the writer at once and on the
		// others within the bound (a stale cached row would never pass).
		const tagged = "mn-tagged"
		if _, err := a.IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(tagged)}); err != nil {
			t.Fatal(err)
		}
		tagIs := func(n *Server, want string) func() error {
			return func() error {
				u, err := getUser(n, tagged)
				if err != nil {
					return err
				}
				var got []string
				for _, tag := range u.Tags {
					if aws.ToString(tag.Key) == "v" && aws.ToString(tag.Value) == want {
						return nil
					}
					got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
				}
				return fmt.Errorf("tags %v, want v=%s", got, want)
			}
		}
		for round := range 20 {
			for _, n := range nodes {
				if _, err := getUser(n, tagged); err != nil { // cached on every node
					t.Fatal(err)
				}
			}
			writer := nodes[round%len(nodes)]
			v := fmt.Sprint(round)
			if _, err := writer.IAM(RootCreds()).TagUser(ctx, &iam.TagUserInput{UserName: aws.String(tagged),
				Tags: []iamtypes.Tag{{Key: aws.String("v"), Value: aws.String(v)}}}); err != nil {
				t.Fatal(err)
			}
			if err := tagIs(writer, v)(); err != nil {
				t.Fatalf("round %d: on the writing node right after TagUser: %v", round, err)
			}
			for j, n := range nodes {
				if n != writer {
					lag.add(t, fmt.Sprintf("round %d, node %d", round, j), tagIs(n, v))
				}
			}
		}

		// Under concurrent load: a writer per node, each write read at once on its own node and within the
		// bound on the two others.
		var wg sync.WaitGroup
		errs := make(chan error, len(nodes))
		for i := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 20 {
					name := fmt.Sprintf("mn-load-%d-%02d", i, j)
					if _, err := nodes[i].IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
						errs <- fmt.Errorf("CreateUser %s on node %d: %w", name, i, err)
						return
					}
					if err := exists(nodes[i], name)(); err != nil {
						errs <- fmt.Errorf("GetUser %s on node %d right after CreateUser there: %w", name, i, err)
						return
					}
					for _, k := range []int{(i + 1) % len(nodes), (i + 2) % len(nodes)} {
						if err := lag.wait(fmt.Sprintf("user %s created under load on node %d, node %d", name, i, k), exists(nodes[k], name)); err != nil {
							errs <- fmt.Errorf("GetUser %s on node %d after CreateUser on node %d: %w", name, k, i, err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}

		// A delete of a row cached everywhere: gone on the writer at once, elsewhere within the bound.
		for _, n := range nodes {
			if _, err := getUser(n, "mn-user-0"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.IAM(RootCreds()).DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("mn-user-0")}); err != nil {
			t.Fatal(err)
		}
		gone := func(n *Server) func() error {
			return func() error {
				if _, err := getUser(n, "mn-user-0"); errorCodeOf(err) != "NoSuchEntity" {
					return fmt.Errorf("GetUser after DeleteUser on C: %v, want NoSuchEntity", err)
				}
				return nil
			}
		}
		if err := gone(c)(); err != nil {
			t.Fatalf("on C, the writer: %v", err)
		}
		lag.add(t, "deleted user, node 0", gone(a))
		lag.add(t, "deleted user, node 1", gone(b))
		t.Logf("cross-node visibility over %d changes: %s", lag.n(), &lag)
	})

	t.Run("SameNameOnThreeNodesAtOnce", func(t *testing.T) {
		// Creators on every node race for one name: serializable transactions across processes let
		// exactly one win; every other gets EntityAlreadyExists, never an internal error.
		const perNode = 5
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			wins     int
			failures []string
		)
		start := make(chan struct{})
		for _, n := range nodes {
			for range perNode {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, err := n.IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mn-contested")})
					mu.Lock()
					defer mu.Unlock()
					switch code := errorCodeOf(err); {
					case err == nil:
						wins++
					case code != "EntityAlreadyExists":
						failures = append(failures, err.Error())
					}
				}()
			}
		}
		close(start)
		wg.Wait()
		if wins != 1 || len(failures) > 0 {
			t.Fatalf("%d creators won (want 1); other failures: %q", wins, failures)
		}
		// Every node counts the same users, and the count agrees with a full listing.
		var counts []int32
		for _, n := range nodes {
			sum, err := n.IAM(RootCreds()).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
			if err != nil {
				t.Fatal(err)
			}
			counts = append(counts, sum.SummaryMap["Users"])
		}
		names, err := listAllUsers(ctx, b.IAM(RootCreds()))
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range counts {
			if int(c) != len(names) {
				t.Fatalf("node %d: GetAccountSummary Users = %d, ListUsers walk on B = %d", i, c, len(names))
			}
		}
	})

	t.Run("DeletedAccessKeyStopsEverywhere", func(t *testing.T) {
		creds := newUserWithKey(t, a, "mn-keyholder")
		want := "arn:aws:iam::" + AccountID + ":user/mn-keyholder"
		for i, n := range nodes {
			arn, err := callerARN(n, creds)
			if err != nil || arn != want {
				t.Fatalf("node %d: GetCallerIdentity = %q, %v", i, arn, err)
			}
		}
		warmKey(t, nodes, creds)
		v, _ := creds.Retrieve(ctx)
		if _, err := a.IAM(RootCreds()).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("mn-keyholder"),
			AccessKeyId: aws.String(v.AccessKeyID)}); err != nil {
			t.Fatal(err)
		}
		// Retried at once (lags), so that the time logged is the revocation's, not a poll interval's.
		var lag lags
		for i, n := range nodes {
			lag.add(t, fmt.Sprintf("node %d", i), func() error {
				_, err := callerARN(n, creds)
				if code := errorCodeOf(err); code != "InvalidClientTokenId" {
					return fmt.Errorf("GetCallerIdentity with the deleted key: %v (code %q), want InvalidClientTokenId", err, code)
				}
				return nil
			})
			t.Logf("node %d refused the deleted key after %v", i, lag.took[len(lag.took)-1].Round(10*time.Microsecond))
		}
	})

	t.Run("DeactivatedKeyStopsEverywhere", func(t *testing.T) {
		creds := newUserWithKey(t, a, "mn-inactive")
		warmKey(t, nodes, creds)
		v, _ := creds.Retrieve(ctx)
		if _, err := a.IAM(RootCreds()).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("mn-inactive"),
			AccessKeyId: aws.String(v.AccessKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
			t.Fatal(err)
		}
		for i, n := range others {
			if _, err := pollFor(propagationDeadline, func() error {
				_, err := callerARN(n, creds)
				if code := errorCodeOf(err); code != "InvalidClientTokenId" {
					return fmt.Errorf("inactive key: %v, want InvalidClientTokenId", err)
				}
				return nil
			}); err != nil {
				t.Fatalf("node %d: %v", i+1, err)
			}
		}
	})

	t.Run("PolicyChangeOnAAppliesOnB", func(t *testing.T) {
		creds := newUserWithKey(t, a, "mn-lister")
		list := func() error {
			_, err := b.IAM(creds).ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}
		// B evaluates (and caches) the user's empty policy set: denied.
		if err := list(); errorCodeOf(err) != "AccessDenied" {
			t.Fatalf("ListUsers on B without a policy: %v, want AccessDenied", err)
		}
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`
		if _, err := a.IAM(RootCreds()).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("mn-lister"),
			PolicyName: aws.String("list"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		if took, err := pollFor(propagationDeadline, list); err != nil {
			t.Fatalf("ListUsers on B %v after PutUserPolicy on A: %v", took, err)
		}
		// And back: a cached allow must not outlive the policy.
		if _, err := a.IAM(RootCreds()).DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("mn-lister"),
			PolicyName: aws.String("list")}); err != nil {
			t.Fatal(err)
		}
		if took, err := pollFor(propagationDeadline, func() error {
			if err := list(); errorCodeOf(err) != "AccessDenied" {
				return fmt.Errorf("ListUsers on B after DeleteUserPolicy on A: %v, want AccessDenied", err)
			}
			return nil
		}); err != nil {
			t.Fatalf("after %v: %v", took, err)
		}
		// An explicit deny attached through a managed policy on C overrides an allow at once on B.
		allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`
		if _, err := a.IAM(RootCreds()).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("mn-lister"),
			PolicyName: aws.String("all"), PolicyDocument: aws.String(allow)}); err != nil {
			t.Fatal(err)
		}
		if _, err := pollFor(propagationDeadline, list); err != nil {
			t.Fatalf("ListUsers on B with iam:*: %v", err)
		}
		deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}`
		p, err := c.IAM(RootCreds()).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mn-deny-list"),
			PolicyDocument: aws.String(deny)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.IAM(RootCreds()).AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("mn-lister"),
			PolicyArn: p.Policy.Arn}); err != nil {
			t.Fatal(err)
		}
		if took, err := pollFor(propagationDeadline, func() error {
			if err := list(); errorCodeOf(err) != "AccessDenied" {
				return fmt.Errorf("ListUsers on B after attaching a deny on C: %v, want AccessDenied", err)
			}
			return nil
		}); err != nil {
			t.Fatalf("after %v: %v", took, err)
		}
	})

	t.Run("TokenPreferenceSetOnAAppliesOnB", func(t *testing.T) {
		creds := newUserWithKey(t, a, "mn-sessions")
		version := func() (int, error) {
			out, err := b.GlobalSTS(creds).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
			if err != nil {
				return 0, err
			}
			return tokenVersion(aws.ToString(out.Credentials.SessionToken)), nil
		}
		// B loads (and caches) the account: the default is v1 tokens at the global endpoint.
		if v, err := version(); err != nil || v != 1 {
			t.Fatalf("global endpoint token on B before the change: version %d, %v; want 1", v, err)
		}
		set := func(v iamtypes.GlobalEndpointTokenVersion) {
			t.Helper()
			if _, err := a.IAM(RootCreds()).SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{
				GlobalEndpointTokenVersion: v}); err != nil {
				t.Fatal(err)
			}
		}
		wantVersion := func(want int) {
			t.Helper()
			if took, err := pollFor(propagationDeadline, func() error {
				v, err := version()
				if err != nil {
					return err
				}
				if v != want {
					return fmt.Errorf("B issues version %d tokens at the global endpoint, want %d", v, want)
				}
				return nil
			}); err != nil {
				t.Fatalf("after %v: %v", took, err)
			}
		}
		set(iamtypes.GlobalEndpointTokenVersionV2Token)
		wantVersion(2)
		set(iamtypes.GlobalEndpointTokenVersionV1Token)
		wantVersion(1)
	})

	t.Run("SessionTokenAcceptedEverywhere", func(t *testing.T) {
		creds := newUserWithKey(t, a, "mn-traveller")
		for i, issuer := range nodes {
			for _, global := range []bool{false, true} {
				cl := issuer.STS(creds, "us-east-1")
				if global {
					cl = issuer.GlobalSTS(creds)
				}
				out, err := cl.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
				if err != nil {
					t.Fatalf("GetSessionToken on node %d: %v", i, err)
				}
				sess := Creds(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey),
					aws.ToString(out.Credentials.SessionToken))
				for j, n := range nodes {
					arn, err := callerARN(n, sess)
					if err != nil || arn != "arn:aws:iam::"+AccountID+":user/mn-traveller" {
						t.Fatalf("token from node %d (global %v) on node %d: %q, %v", i, global, j, arn, err)
					}
				}
			}
		}
	})

	t.Run("SharedTokenKeyRing", func(t *testing.T) {
		same := func() error {
			g := a.App.Tokens.Generation()
			cur, all := a.App.Tokens.KeyIDs()
			for i, n := range nodes {
				ng := n.App.Tokens.Generation()
				ncur, nall := n.App.Tokens.KeyIDs()
				if ng != g || ncur != cur || fmt.Sprint(nall) != fmt.Sprint(all) {
					return fmt.Errorf("node %d has ring generation %d (current key %d, keys %v); node 0 has %d (%d, %v)",
						i, ng, ncur, nall, g, cur, all)
				}
			}
			return nil
		}
		if err := same(); err != nil {
			t.Fatal(err)
		}
		before := a.App.Tokens.Generation()
		// A rotation on B (forced, as after a suspected key leak) reaches A and C through the store.
		if _, err := b.App.Tokens.Rotate(ctx, true); err != nil {
			t.Fatal(err)
		}
		if b.App.Tokens.Generation() == before {
			t.Fatalf("forced rotation on B left generation %d", before)
		}
		if took, err := pollFor(propagationDeadline, same); err != nil {
			t.Fatalf("after %v: %v", took, err)
		}
		// Tokens sealed with the new current key on B open on the other nodes.
		creds := newUserWithKey(t, a, "mn-rotated")
		out, err := b.STS(creds, "eu-west-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
		if err != nil {
			t.Fatal(err)
		}
		sess := Creds(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey),
			aws.ToString(out.Credentials.SessionToken))
		for i, n := range nodes {
			if _, err := callerARN(n, sess); err != nil {
				t.Fatalf("token sealed after rotation on B, used on node %d: %v", i, err)
			}
		}
	})
}

// flakyProxy forwards TCP connections to a backend until it is taken down: then it drops every open
// connection and refuses new ones (accepts and closes them at once), as a crashed database host would.
type flakyProxy struct {
	ln      net.Listener
	backend string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newFlakyProxy(t *testing.T, backend string) *flakyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{ln: ln, backend: backend, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
		p.wg.Wait()
	})
	return p
}

func (p *flakyProxy) addr() string { return p.ln.Addr().String() }

func (p *flakyProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.forward(c)
	}
}

func (p *flakyProxy) forward(c net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}()
	up, err := net.Dial("tcp", p.backend)
	if err != nil {
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		up.Close()
		return
	}
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, up)
		p.mu.Unlock()
		up.Close()
	}()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	// Closing both ends (deferred) ends the other copy.
	c.Close()
	up.Close()
	<-done
}

func (p *flakyProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
	}
}

// httpStatus returns the status of GET url.
func httpStatus(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// With its database gone a node stays alive (/healthz 200) but leaves rotation (/readyz 503); it comes
// back by itself when the database does, and serves again.
func TestPostgresReadiness(t *testing.T) {
	dbURL := pgtest.URL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newFlakyProxy(t, u.Host)
	u.Host = proxy.addr()
	key := newMasterKey(t)
	s := Start(t, Options{DatabaseURL: u.String(), MasterKey: key})
	// other reaches the database directly: it keeps writing while s is cut off.
	other := Start(t, Options{DatabaseURL: dbURL, MasterKey: key})
	ctx := context.Background()
	// Two keys s has cached: one deleted while s is cut off (its notification never reaches s), one after.
	early := newUserWithKey(t, other, "deleted-during-outage")
	late := newUserWithKey(t, other, "deleted-after-outage")
	warmKey(t, []*Server{s, other}, early)
	deleteKey := func(user string, creds aws.CredentialsProvider) {
		t.Helper()
		v, _ := creds.Retrieve(ctx)
		if _, err := other.IAM(RootCreds()).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user),
			AccessKeyId: aws.String(v.AccessKeyID)}); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(creds aws.CredentialsProvider) func() error {
		return func() error {
			if _, err := callerARN(s, creds); errorCodeOf(err) != "InvalidClientTokenId" {
				return fmt.Errorf("GetCallerIdentity on the recovered node with a deleted key: %v, want InvalidClientTokenId", err)
			}
			return nil
		}
	}

	wantStatus := func(path string, want int) {
		t.Helper()
		if took, err := pollFor(readinessDeadline, func() error {
			got, err := httpStatus(s.URL + path)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("GET %s: %d, want %d", path, got, want)
			}
			return nil
		}); err != nil {
			t.Fatalf("after %v: %v", took, err)
		}
	}
	wantStatus("/readyz", http.StatusOK)
	wantStatus("/healthz", http.StatusOK)

	changes, cancel := s.App.Store.Subscribe()
	defer cancel()
	proxy.setDown(true)
	wantStatus("/readyz", http.StatusServiceUnavailable)
	wantStatus("/healthz", http.StatusOK)
	// An API write fails cleanly (a 5xx AWS error, not a hang or a dropped connection).
	_, err = s.IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("while-down")})
	if err == nil {
		t.Fatal("CreateUser succeeded with the database down")
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() < 500 {
		t.Fatalf("CreateUser with the database down: %v, want a 5xx answer", err)
	}

	deleteKey("deleted-during-outage", early)

	proxy.setDown(false)
	wantStatus("/readyz", http.StatusOK)
	// The node's change listener reconnects (with backoff) and then tells every cache to drop everything,
	// since the notifications sent meanwhile are lost: the key deleted during the outage is refused.
	timeout := time.After(readinessDeadline)
	for flushed := false; !flushed; {
		select {
		case ch := <-changes:
			flushed = ch.Kind == storage.ChangeAll
		case <-timeout:
			t.Fatalf("no flush of the caches within %v of the database's return", readinessDeadline)
		}
	}
	if took, err := pollFor(propagationDeadline, refused(early)); err != nil {
		t.Fatalf("after %v: %v", took, err)
	}
	// And the listener works again: a key deleted now on the other node is refused here too.
	warmKey(t, []*Server{s, other}, late)
	deleteKey("deleted-after-outage", late)
	if took, err := pollFor(propagationDeadline, refused(late)); err != nil {
		t.Fatalf("after %v: %v", took, err)
	}
	if _, err := pollFor(readinessDeadline, func() error {
		_, err := s.IAM(RootCreds()).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("after-recovery")})
		return err
	}); err != nil {
		t.Fatalf("CreateUser after the database came back: %v", err)
	}
}

// lags measures how long changes take to be visible on other nodes: each check is retried at once
// (a request takes about a millisecond) until it passes or propagationDeadline is over.
type lags struct {
	mu      sync.Mutex
	took    []time.Duration
	slowest string // what took longest, for the log
}

// wait retries check until it passes, within propagationDeadline, and records the time it took.
func (l *lags) wait(what string, check func() error) error {
	start := time.Now()
	for {
		err := check()
		d := time.Since(start)
		if err == nil {
			l.mu.Lock()
			if len(l.took) == 0 || d > slices.Max(l.took) {
				l.slowest = what
			}
			l.took = append(l.took, d)
			l.mu.Unlock()
			return nil
		}
		if d > propagationDeadline {
			return fmt.Errorf("not visible after %v: %w", d, err)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func (l *lags) add(t *testing.T, what string, check func() error) {
	t.Helper()
	if err := l.wait(what, check); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func (l *lags) n() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.took)
}

// String gives the median, 99th percentile and maximum (and what took longest).
func (l *lags) String() string {
	l.mu.Lock()
	d, slowest := slices.Clone(l.took), l.slowest
	l.mu.Unlock()
	if len(d) == 0 {
		return "none"
	}
	slices.Sort(d)
	at := func(q float64) time.Duration {
		return d[min(len(d)-1, int(q*float64(len(d))))].Round(10 * time.Microsecond)
	}
	return fmt.Sprintf("median %v, p99 %v, max %v (%s)", at(0.5), at(0.99), d[len(d)-1].Round(10*time.Microsecond), slowest)
}

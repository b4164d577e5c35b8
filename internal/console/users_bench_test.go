package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/e2etest"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// benchUsers is the account's size the console's pages are measured at (issue: under 50 ms a page with
// 5,000 users).
const benchUsers = 5000

// BenchmarkIdentityPages measures the server time of the users and groups pages, signed in as an
// administrator, in an account of 5,000 users (every one in a group of 5,000 members) and 100 groups.
func BenchmarkIdentityPages(b *testing.B) {
	s := e2etest.Start(b, e2etest.Options{})
	root := s.IAM(e2etest.RootCreds())
	bg := context.Background()
	if _, err := root.CreateUser(bg, &iam.CreateUserInput{UserName: aws.String("admin")}); err != nil {
		b.Fatal(err)
	}
	if _, err := root.CreateLoginProfile(bg, &iam.CreateLoginProfileInput{UserName: aws.String("admin"), Password: aws.String("Correct-Horse-1")}); err != nil {
		b.Fatal(err)
	}
	if _, err := root.AttachUserPolicy(bg, &iam.AttachUserPolicyInput{UserName: aws.String("admin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMFullAccess")}); err != nil {
		b.Fatal(err)
	}
	// The bulk of the account is written straight to the store: the benchmark measures pages, not 5,000
	// API calls.
	now := time.Now().UTC()
	err := s.App.Store.Update(bg, func(tx storage.Tx) error {
		for i := range benchUsers {
			u := &storage.User{AccountID: e2etest.AccountID, Name: fmt.Sprintf("user-%04d", i), Path: "/", ID: ids.NewUniqueID(ids.PrefixUser), CreatedAt: now}
			if err := tx.CreateUser(bg, u); err != nil {
				return err
			}
		}
		for i := range 100 {
			if err := tx.CreateGroup(bg, &storage.Group{AccountID: e2etest.AccountID, Name: fmt.Sprintf("group-%03d", i), Path: "/", ID: ids.NewUniqueID(ids.PrefixGroup), CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchUsers {
		if i%50 == 0 { // a group of 100 members
			if _, err := root.AddUserToGroup(bg, &iam.AddUserToGroupInput{GroupName: aws.String("group-000"), UserName: aws.String(fmt.Sprintf("user-%04d", i))}); err != nil {
				b.Fatal(err)
			}
		}
	}
	c := benchSignIn(b, s, "admin", "Correct-Horse-1")
	middle := benchMarker(b, c, s.URL+"/console/users?name=user-2")
	for _, page := range []struct{ name, p string }{
		{"users", "/users"}, {"users-page-22", "/users?marker=" + url.QueryEscape(middle)},
		{"users-name-prefix", "/users?name=user-42"}, {"users-path-and-name-prefix", "/users?path=%2F&name=USER-0"},
		{"user", "/users/user-2500"}, {"groups", "/groups"}, {"group-100-members", "/groups/group-000"},
	} {
		p := page.p
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := c.Get(s.URL + "/console" + p)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s answered %d", p, resp.StatusCode)
				}
			}
		})
	}
}

var nextLink = regexp.MustCompile(`id="next" href="[^"]*marker=([^"&]+)`)

// benchMarker returns the marker of the next page link of the page at u.
func benchMarker(b *testing.B, c *http.Client, u string) string {
	resp, err := c.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := nextLink.FindSubmatch(body)
	if m == nil {
		b.Fatalf("no next page on %s", u)
	}
	v, err := url.QueryUnescape(string(m[1]))
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// benchSignIn signs in over HTTP and returns a client holding the session.
func benchSignIn(b *testing.B, s *e2etest.Server, user, password string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(s.URL + "/console/signin")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		b.Fatal("no CSRF token on the sign-in page")
	}
	form := url.Values{"csrf": {string(m[1])}, "account": {e2etest.AccountID}, "username": {user}, "password": {password}}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/console/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	resp, err = c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign-in answered %d", resp.StatusCode)
	}
	return c
}

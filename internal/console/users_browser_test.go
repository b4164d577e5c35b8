package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/internal/e2etest"
)

// An administrator creates a user with a console password and a policy in the browser, then an access
// key: the secret is shown once, in the answer to the form (never in a URL), with the warning that it
// will not be shown again, and the key works with the SDK. Deactivating it in the browser stops it; its
// last use shows on the user's page; deleting the user while it has a key shows AWS's DeleteConflict.
func TestBrowserUsersCreateWithKeyAndPolicy(t *testing.T) {
	var serverLog e2etest.SyncBuffer
	es := e2etest.Start(t, e2etest.Options{LogWriter: &serverLog})
	s := &consoleServer{Server: es, root: es.IAM(e2etest.RootCreds())}
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/users")), chromedp.WaitVisible(chromedp.ID("new-user")),
		clickAndLoad("new-user"), chromedp.WaitVisible(chromedp.ID("name")))
	screenshot(t, ctx, "user-create")
	do(t, ctx, chromedp.SendKeys(chromedp.ID("name"), "deploy"),
		chromedp.SendKeys(chromedp.ID("password"), "Correct-Horse-9"),
		chromedp.SendKeys(chromedp.ID("policies"), "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
		clickAndLoad("create"), chromedp.WaitVisible(chromedp.ID("done")))
	if got := oneLine(text(t, ctx, chromedp.ID("attached"))); !strings.Contains(got, "arn:aws:iam::aws:policy/IAMReadOnlyAccess") {
		t.Errorf("attached policies: %q", got)
	}
	bg := context.Background()
	lp, err := s.root.GetLoginProfile(bg, &iam.GetLoginProfileInput{UserName: aws.String("deploy")})
	if err != nil || !lp.LoginProfile.PasswordResetRequired {
		t.Fatalf("login profile %+v, %v (want one that needs a reset)", lp, err)
	}

	do(t, ctx, clickAndLoad("create-key"), chromedp.WaitVisible(chromedp.ID("secret-access-key")))
	id, secret := text(t, ctx, chromedp.ID("access-key-id")), text(t, ctx, chromedp.ID("secret-access-key"))
	if note := oneLine(text(t, ctx, chromedp.ID("key-created"))); !strings.Contains(note, "only time the secret access key can be viewed") {
		t.Errorf("the page does not say the secret is shown once: %q", note)
	}
	html := run(t, ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Count(html, secret) != 1 || len(secret) != 40 {
		t.Errorf("the secret %q appears %d times in its page", secret, strings.Count(html, secret))
	}
	if loc := run(t, ctx, chromedp.Location()); strings.Contains(loc, secret) || strings.Contains(loc, id) {
		t.Errorf("the key is in the URL %s", loc)
	}
	screenshot(t, ctx, "access-key-created")

	keyClient := s.IAM(e2etest.Creds(id, secret, ""))
	me, err := keyClient.GetUser(bg, &iam.GetUserInput{})
	if err != nil || aws.ToString(me.User.UserName) != "deploy" {
		t.Fatalf("GetUser with the new key: %+v, %v", me, err)
	}

	do(t, ctx, clickAndLoad("back"), chromedp.WaitVisible(chromedp.ID("keys")))
	for _, p := range []string{"/users/deploy", "/users"} {
		do(t, ctx, chromedp.Navigate(s.url(p)), chromedp.WaitVisible(chromedp.ID("main")))
		if strings.Contains(run(t, ctx, chromedp.OuterHTML(chromedp.CSS("html"))), secret) {
			t.Errorf("%s shows the secret again", p)
		}
	}
	do(t, ctx, chromedp.Navigate(s.url("/users/deploy")), chromedp.WaitVisible(chromedp.ID("keys")))
	if got := oneLine(text(t, ctx, chromedp.ID("keys"))); !strings.Contains(got, id) || !strings.Contains(got, "Active") || !strings.Contains(got, "iam · us-east-1") {
		t.Errorf("keys: %q (want the key, Active, last used by iam in us-east-1)", got)
	}
	screenshot(t, ctx, "user")

	// Deactivate: the key stops working.
	do(t, ctx, clickAndLoadSel(chromedp.CSS(`#keys form[action$="/keys/update"] button`)), chromedp.WaitVisible(chromedp.ID("done")))
	if got := oneLine(text(t, ctx, chromedp.ID("keys"))); !strings.Contains(got, "Inactive") {
		t.Errorf("keys after deactivating: %q", got)
	}
	if _, err := keyClient.GetUser(bg, &iam.GetUserInput{}); err == nil {
		t.Error("an inactive key still signs requests")
	}

	// Deleting a user that still has things: AWS's DeleteConflict text beside the button; nothing deleted.
	_, apiErr := s.root.DeleteUser(bg, &iam.DeleteUserInput{UserName: aws.String("deploy")})
	want := apiError(t, apiErr)
	do(t, ctx, clickAndLoad("delete-user"), chromedp.WaitVisible(chromedp.ID("delete-error")))
	shows(t, ctx, "delete-error", want)

	// Delete the key, the login profile and the policy in the browser, then the user.
	do(t, ctx, clickAndLoadSel(chromedp.CSS(`#keys form[action$="/keys/delete"] button`)), chromedp.WaitVisible(chromedp.ID("no-keys")),
		clickAndLoad("remove-password"), chromedp.WaitVisible(chromedp.ID("create-password")),
		clickAndLoadSel(chromedp.CSS(`#attached form button`)), chromedp.WaitVisible(chromedp.ID("no-attached")),
		clickAndLoad("delete-user"), chromedp.WaitVisible(chromedp.ID("users")))
	if _, err := s.root.GetUser(bg, &iam.GetUserInput{UserName: aws.String("deploy")}); err == nil {
		t.Error("the user was not deleted")
	}
	if logged := serverLog.String(); logged == "" || strings.Contains(logged, secret) {
		t.Errorf("the server's log (%d bytes) holds the secret", len(logged))
	}
}

// An administrator enrols a virtual MFA device for a user in the browser: the QR code shows (the CSP
// lets the data: image load), the secret is revealed on request on that page only, two consecutive codes
// enable it, and Remove deactivates and deletes it.
func TestBrowserUsersMFAEnrolment(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	bg := context.Background()
	if _, err := s.root.CreateUser(bg, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/users/carol")), chromedp.WaitVisible(chromedp.ID("mfa-device")),
		clickAndLoad("assign-mfa"), chromedp.WaitVisible(chromedp.ID("mfa-qr")))
	if w := run(t, ctx, chromedp.Evaluate[int](`document.getElementById("mfa-qr").naturalWidth`)); w == 0 {
		t.Fatal("the QR code did not load (CSP img-src?)")
	}
	do(t, ctx, chromedp.Click(chromedp.ID("show-seed")), chromedp.WaitVisible(chromedp.ID("mfa-seed")))
	seed := text(t, ctx, chromedp.ID("mfa-seed"))
	if len(seed) < 16 {
		t.Fatalf("seed %q", seed)
	}
	screenshot(t, ctx, "mfa-enrol")

	// Wrong codes first: refused with the API's text, the device stays unassigned.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("code1"), "000000"), chromedp.SendKeys(chromedp.ID("code2"), "000001"),
		clickAndLoad("enable-mfa"), chromedp.WaitVisible(chromedp.ID("api-error")))
	if got := oneLine(text(t, ctx, chromedp.ID("api-error"))); !strings.HasPrefix(got, "InvalidAuthenticationCode ") {
		t.Errorf("wrong codes: %q", got)
	}
	if strings.Contains(run(t, ctx, chromedp.OuterHTML(chromedp.CSS("html"))), seed) {
		t.Error("the seed is shown again after the enrolment's answer")
	}
	now := time.Now()
	do(t, ctx, chromedp.SendKeys(chromedp.ID("code1"), totpCode(t, seed, now.Add(-30*time.Second))),
		chromedp.SendKeys(chromedp.ID("code2"), totpCode(t, seed, now)),
		clickAndLoad("enable-mfa"), chromedp.WaitVisible(chromedp.ID("done")))
	devs, err := s.root.ListMFADevices(bg, &iam.ListMFADevicesInput{UserName: aws.String("carol")})
	if err != nil || len(devs.MFADevices) != 1 {
		t.Fatalf("devices %+v, %v", devs, err)
	}
	serial := aws.ToString(devs.MFADevices[0].SerialNumber)
	if got := oneLine(text(t, ctx, chromedp.ID("mfa"))); !strings.Contains(got, serial) {
		t.Errorf("MFA devices on the page: %q", got)
	}
	if strings.Contains(run(t, ctx, chromedp.OuterHTML(chromedp.CSS("html"))), seed) {
		t.Error("the user's page shows the seed")
	}

	do(t, ctx, clickAndLoadSel(chromedp.CSS(`#mfa form[action$="/mfa/delete"] button`)), chromedp.WaitVisible(chromedp.ID("no-mfa")))
	devs, err = s.root.ListMFADevices(bg, &iam.ListMFADevicesInput{UserName: aws.String("carol")})
	if err != nil || len(devs.MFADevices) != 0 {
		t.Fatalf("after Remove: %+v, %v", devs, err)
	}
	virt, err := s.root.ListVirtualMFADevices(bg, &iam.ListVirtualMFADevicesInput{})
	if err != nil || len(virt.VirtualMFADevices) != 0 {
		t.Errorf("virtual devices left: %+v, %v", virt, err)
	}
}

// A user with IAMReadOnlyAccess sees the users but creating one shows the AccessDenied text the API
// gives that user's own key, and nothing is created; the same for a group.
func TestBrowserUsersDeniedToReadOnlyUser(t *testing.T) {
	s := startConsole(t)
	s.user(t, "reader", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	bg := context.Background()
	key, err := s.root.CreateAccessKey(bg, &iam.CreateAccessKeyInput{UserName: aws.String("reader")})
	if err != nil {
		t.Fatal(err)
	}
	readerAPI := s.IAM(e2etest.Creds(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, ""))
	_, userErr := readerAPI.CreateUser(bg, &iam.CreateUserInput{UserName: aws.String("intruder")})
	userDenied := apiError(t, userErr)
	_, groupErr := readerAPI.CreateGroup(bg, &iam.CreateGroupInput{GroupName: aws.String("intruders")})
	groupDenied := apiError(t, groupErr)
	if !strings.HasPrefix(userDenied, "AccessDenied ") || !strings.HasPrefix(groupDenied, "AccessDenied ") {
		t.Fatalf("the API allowed the reader: %s, %s", userDenied, groupDenied)
	}

	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "reader", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")),
		chromedp.Navigate(s.url("/users")), chromedp.WaitVisible(chromedp.ID("users")))
	if got := oneLine(text(t, ctx, chromedp.ID("users"))); !strings.Contains(got, "reader") {
		t.Errorf("the reader does not see the users: %q", got)
	}
	do(t, ctx, chromedp.Navigate(s.url("/user-new")), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "intruder"), clickAndLoad("create"),
		chromedp.WaitVisible(chromedp.ID("api-error")))
	shows(t, ctx, "api-error", userDenied)
	screenshot(t, ctx, "user-create-denied")
	do(t, ctx, chromedp.Navigate(s.url("/groups")), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "intruders"), clickAndLoad("create"),
		chromedp.WaitVisible(chromedp.ID("api-error")))
	shows(t, ctx, "api-error", groupDenied)
	if _, err := s.root.GetUser(bg, &iam.GetUserInput{UserName: aws.String("intruder")}); err == nil {
		t.Error("the reader created a user")
	}
	if _, err := s.root.GetGroup(bg, &iam.GetGroupInput{GroupName: aws.String("intruders")}); err == nil {
		t.Error("the reader created a group")
	}
}

// The users list pages through 250 users with markers, 100 a page, each once and in order, and the name
// filter (case-insensitive) and path filter keep to their users across pages.
func TestBrowserUsersPaging(t *testing.T) {
	s := startConsole(t)
	s.user(t, "admin", "Correct-Horse-1", "arn:aws:iam::aws:policy/IAMFullAccess")
	bg := context.Background()
	var want []string
	for i := range 250 {
		name, path := fmt.Sprintf("user-%03d", i), "/"
		if i%2 == 1 {
			path = "/odd/"
		}
		if _, err := s.root.CreateUser(bg, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(path)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	ctx := newBrowser(t)
	do(t, ctx, signIn(s, e2etest.AccountID, "admin", "Correct-Horse-1"), chromedp.WaitVisible(chromedp.ID("caller-arn")))

	// walk lists every page from p, following "Next page", and returns the names and the page count.
	walk := func(p string) ([]string, int) {
		do(t, ctx, chromedp.Navigate(s.url(p)), chromedp.WaitVisible(chromedp.ID("users")))
		var names []string
		for pages := 1; ; pages++ {
			names = append(names, strings.Fields(run(t, ctx, chromedp.Evaluate[string](
				`Array.from(document.querySelectorAll("#users tbody td:first-child a")).map(a => a.textContent).join(" ")`)))...)
			more := run(t, ctx, chromedp.Evaluate[bool](`document.getElementById("next") !== null`))
			if !more {
				return names, pages
			}
			do(t, ctx, clickAndLoad("next"), chromedp.WaitVisible(chromedp.ID("users")))
		}
	}
	all, pages := walk("/users")
	if got, exp := strings.Join(all, " "), "admin "+strings.Join(want, " "); got != exp || pages != 3 {
		t.Errorf("%d pages: %s", pages, got)
	}
	named, pages := walk("/users?name=USER-1")
	if got, exp := strings.Join(named, " "), strings.Join(want[100:200], " "); got != exp || pages != 1 {
		t.Errorf("name filter USER-1, %d pages: %s", pages, got)
	}
	named, pages = walk("/users?name=user")
	if got, exp := strings.Join(named, " "), strings.Join(want, " "); got != exp || pages != 3 {
		t.Errorf("name filter user, %d pages: %s", pages, got)
	}
	var odd []string
	for i := 1; i < 250; i += 2 {
		odd = append(odd, want[i])
	}
	pathed, pages := walk("/users?path=%2Fodd%2F&name=user-2")
	if got, exp := strings.Join(pathed, " "), strings.Join(odd[100:], " "); got != exp || pages != 1 {
		t.Errorf("path /odd/ and name user-2, %d pages: %s", pages, got)
	}
	screenshot(t, ctx, "users")
}

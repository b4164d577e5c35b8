package e2etest

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/pquerna/otp/totp"
)

// totpCode is the code an authenticator app shows for seed at t.
func totpCode(t testing.TB, seed []byte, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(string(seed), at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enableInput asks to enable serial for user with the two codes an app shows now (the previous step's and
// the current one's).
func enableInput(t testing.TB, user, serial string, seed []byte) *iam.EnableMFADeviceInput {
	now := time.Now()
	return &iam.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpCode(t, seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(totpCode(t, seed, now))}
}

// Virtual MFA devices through the SDK: the seed and QR code, enabling with real TOTP codes, listings,
// counters, the credential report, tags and every error path.
func TestIAMVirtualMFADevices(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	v := must[*iam.CreateVirtualMFADeviceOutput](t, "CreateVirtualMFADevice")(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("bob-phone"), Path: aws.String("/people/"), Tags: tags("team", "a")})).VirtualMFADevice
	serial, seed := aws.ToString(v.SerialNumber), v.Base32StringSeed
	if serial != arn("mfa/people/bob-phone") || len(seed) != 64 || tagMap(v.Tags)["team"] != "a" {
		t.Fatalf("CreateVirtualMFADevice: %s %q %v", serial, seed, v.Tags)
	}
	img, err := png.Decode(bytes.NewReader(v.QRCodePNG))
	if err != nil {
		t.Fatalf("QRCodePNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	qr, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR code: %v", err)
	}
	if uri := qr.GetText(); !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+string(seed)) {
		t.Fatalf("QR code holds %q", uri)
	}
	spare := aws.ToString(must[*iam.CreateVirtualMFADeviceOutput](t, "CreateVirtualMFADevice")(c.CreateVirtualMFADevice(ctx,
		&iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("spare")})).VirtualMFADevice.SerialNumber)

	bad := enableInput(t, "bob", serial, seed)
	bad.AuthenticationCode1, bad.AuthenticationCode2 = bad.AuthenticationCode2, bad.AuthenticationCode1
	runErrCases(t, []errCase{
		{"duplicate", func() error {
			return call(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("BOB-PHONE")}))
		}, "EntityAlreadyExists", 409, "MFADevice entity at the same path and name already exists."},
		{"bad name", func() error {
			return call(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("a b")}))
		}, "ValidationError", 400, ""},
		{"codes reversed", func() error { return call(c.EnableMFADevice(ctx, bad)) },
			"InvalidAuthenticationCode", 403, "Authentication code for device is not valid."},
		{"code format", func() error {
			in := enableInput(t, "bob", serial, seed)
			in.AuthenticationCode1 = aws.String("12345")
			return call(c.EnableMFADevice(ctx, in))
		}, "ValidationError", 400, ""},
		{"unknown device", func() error { return call(c.EnableMFADevice(ctx, enableInput(t, "bob", serial+"x", seed))) },
			"NoSuchEntity", 404, "VirtualMFADevice with serial number " + serial + "x doesn't exist."},
		{"delete unknown", func() error {
			return call(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(arn("mfa/nope"))}))
		}, "NoSuchEntity", 404, "VirtualMFADevice with serial number " + arn("mfa/nope") + " doesn't exist."},
		{"list unknown user", func() error {
			return call(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("nobody")}))
		},
			"NoSuchEntity", 404, "The user with name nobody cannot be found."},
		{"deactivate not enabled", func() error {
			return call(c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(spare)}))
		}, "NoSuchEntity", 404, "MFA Device invalid for user."},
	})

	must[*iam.EnableMFADeviceOutput](t, "EnableMFADevice")(c.EnableMFADevice(ctx, enableInput(t, "bob", serial, seed)))
	runErrCases(t, []errCase{
		{"enable again", func() error { return call(c.EnableMFADevice(ctx, enableInput(t, "bob", serial, seed))) },
			"EntityAlreadyExists", 409, "MFA Device is already in use."},
		{"delete enabled", func() error {
			return call(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))
		}, "DeleteConflict", 409, "MFA VirtualDevice in use. Must deactivate first."},
		{"delete user with device", func() error { return call(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})) },
			"DeleteConflict", 409, "Cannot delete entity, must delete MFA device first."},
	})

	l := must[*iam.ListMFADevicesOutput](t, "ListMFADevices")(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob")}))
	if len(l.MFADevices) != 1 || aws.ToString(l.MFADevices[0].SerialNumber) != serial || aws.ToString(l.MFADevices[0].UserName) != "bob" {
		t.Fatalf("ListMFADevices: %+v", l.MFADevices)
	}
	checkRecent(t, "EnableDate", l.MFADevices[0].EnableDate)
	for status, want := range map[iamtypes.AssignmentStatusType]string{
		iamtypes.AssignmentStatusTypeAssigned: serial, iamtypes.AssignmentStatusTypeUnassigned: spare, iamtypes.AssignmentStatusTypeAny: serial + "," + spare,
	} {
		out := must[*iam.ListVirtualMFADevicesOutput](t, "ListVirtualMFADevices")(c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: status}))
		var got []string
		for _, d := range out.VirtualMFADevices {
			got = append(got, aws.ToString(d.SerialNumber))
			if d.Base32StringSeed != nil || d.QRCodePNG != nil || d.Tags != nil {
				t.Fatalf("ListVirtualMFADevices returns the seed or tags: %+v", d)
			}
			if aws.ToString(d.SerialNumber) == serial && (d.User == nil || aws.ToString(d.User.Arn) != arn("user/bob")) {
				t.Fatalf("ListVirtualMFADevices user: %+v", d.User)
			}
		}
		if strings.Join(got, ",") != want {
			t.Fatalf("ListVirtualMFADevices %s: %v", status, got)
		}
	}
	g := must[*iam.GetMFADeviceOutput](t, "GetMFADevice")(c.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(serial)}))
	if aws.ToString(g.UserName) != "bob" || aws.ToString(g.SerialNumber) != serial {
		t.Fatalf("GetMFADevice: %+v", g)
	}
	sum := must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).SummaryMap
	if sum["MFADevices"] != 2 || sum["MFADevicesInUse"] != 1 || sum["AccountMFAEnabled"] != 0 {
		t.Fatalf("GetAccountSummary: %v", sum)
	}
	if report := credentialReport(t, c); !strings.Contains(report, "\nbob,") || mfaActive(t, report, "bob") != "true" {
		t.Fatalf("credential report:\n%s", report)
	}

	// Tags.
	must[*iam.TagMFADeviceOutput](t, "TagMFADevice")(c.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(serial), Tags: tags("k", "v")}))
	must[*iam.UntagMFADeviceOutput](t, "UntagMFADevice")(c.UntagMFADevice(ctx, &iam.UntagMFADeviceInput{SerialNumber: aws.String(serial), TagKeys: []string{"TEAM"}}))
	lt := must[*iam.ListMFADeviceTagsOutput](t, "ListMFADeviceTags")(c.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(serial)}))
	if len(lt.Tags) != 1 || tagMap(lt.Tags)["k"] != "v" {
		t.Fatalf("ListMFADeviceTags: %v", lt.Tags)
	}

	// Resync with the next two codes, deactivate, delete.
	time.Sleep(time.Until(time.Now().Truncate(30 * time.Second).Add(30 * time.Second)))
	now := time.Now()
	must[*iam.ResyncMFADeviceOutput](t, "ResyncMFADevice")(c.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpCode(t, seed, now)), AuthenticationCode2: aws.String(totpCode(t, seed, now.Add(30*time.Second)))}))
	must[*iam.DeactivateMFADeviceOutput](t, "DeactivateMFADevice")(c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(serial)}))
	must[*iam.DeleteVirtualMFADeviceOutput](t, "DeleteVirtualMFADevice")(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))
	sum = must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).SummaryMap
	if sum["MFADevices"] != 1 || sum["MFADevicesInUse"] != 0 {
		t.Fatalf("GetAccountSummary: %v", sum)
	}
}

// credentialReport generates and returns the account's credential report.
func credentialReport(t *testing.T, c *iam.Client) string {
	t.Helper()
	for range 50 {
		g, err := c.GenerateCredentialReport(t.Context(), &iam.GenerateCredentialReportInput{})
		if err != nil {
			t.Fatal(err)
		}
		if g.State == iamtypes.ReportStateTypeComplete {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	r, err := c.GetCredentialReport(t.Context(), &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Content)
}

// mfaActive is the mfa_active column of user's row of a credential report.
func mfaActive(t *testing.T, report, user string) string {
	t.Helper()
	lines := strings.Split(report, "\n")
	cols := strings.Split(lines[0], ",")
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if f[0] == user {
			for i, c := range cols {
				if c == "mfa_active" {
					return f[i]
				}
			}
		}
	}
	t.Fatalf("no row for %s", user)
	return ""
}

// The root user's own virtual device: AccountMFAEnabled and root's row of the credential report follow it.
func TestIAMRootVirtualMFADevice(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	v := must[*iam.CreateVirtualMFADeviceOutput](t, "CreateVirtualMFADevice")(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("root-account-mfa-device")})).VirtualMFADevice
	serial := aws.ToString(v.SerialNumber)
	// The model requires UserName; the root user has no IAM user name, so a name that is no user's is its own.
	must[*iam.EnableMFADeviceOutput](t, "EnableMFADevice")(c.EnableMFADevice(ctx, enableInput(t, AccountID, serial, v.Base32StringSeed)))
	sum := must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).SummaryMap
	if sum["AccountMFAEnabled"] != 1 {
		t.Fatalf("GetAccountSummary: %v", sum)
	}
	l := must[*iam.ListMFADevicesOutput](t, "ListMFADevices")(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{}))
	if len(l.MFADevices) != 1 || aws.ToString(l.MFADevices[0].SerialNumber) != serial {
		t.Fatalf("ListMFADevices: %+v", l.MFADevices)
	}
	if got := mfaActive(t, credentialReport(t, c), "<root_account>"); got != "true" {
		t.Fatalf("root mfa_active = %s", got)
	}
	must[*iam.DeactivateMFADeviceOutput](t, "DeactivateMFADevice")(c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(serial)}))
	sum = must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).SummaryMap
	if sum["AccountMFAEnabled"] != 0 {
		t.Fatalf("GetAccountSummary: %v", sum)
	}
}

// A user holds at most 8 MFA devices.
func TestIAMMFADevicesPerUserQuota(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	for i := range 9 {
		v := must[*iam.CreateVirtualMFADeviceOutput](t, "CreateVirtualMFADevice")(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
			VirtualMFADeviceName: aws.String(fmt.Sprintf("d%d", i))})).VirtualMFADevice
		err := call(c.EnableMFADevice(ctx, enableInput(t, "bob", aws.ToString(v.SerialNumber), v.Base32StringSeed)))
		if i < 8 {
			ok(t, "EnableMFADevice", err)
		} else {
			wantError(t, "ninth device", err, "LimitExceeded", 409, "Cannot exceed quota for MFADevicesPerUser: 8")
		}
	}
	walked, pages := walk(t, 3, func(m *string, n int32) ([]string, bool, *string, error) {
		out, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob"), Marker: m, MaxItems: aws.Int32(n)})
		if err != nil {
			return nil, false, nil, err
		}
		var a []string
		for _, d := range out.MFADevices {
			a = append(a, aws.ToString(d.SerialNumber))
		}
		return a, out.IsTruncated, out.Marker, nil
	})
	if len(walked) != 8 || pages != 3 {
		t.Fatalf("ListMFADevices pages: %d %v", pages, walked)
	}
}

// MFA operations are authorized with their action on the right resource: devices (mfa/NAME) for creating,
// deleting and tagging, the user for enabling and listing.
func TestAuthzMFADevices(t *testing.T) {
	e := newAuthzEnv(t)
	alice := e.s.IAM(e.user("alice", azDoc(
		azAllow("iam:CreateVirtualMFADevice", azARN+"mfa/${aws:username}"),
		azAllow("iam:EnableMFADevice", azARN+"user/${aws:username}"),
		azAllow("iam:ListMFADevices", azARN+"user/${aws:username}"),
	)))
	e.user("carol", "")
	ctx := e.ctx
	v, err := alice.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	e.check(err)
	serial := aws.ToString(v.VirtualMFADevice.SerialNumber)
	_, err = alice.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("carol")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:CreateVirtualMFADevice", azARN+"mfa/carol", because("identity-based policy", "iam:CreateVirtualMFADevice")))
	_, err = alice.EnableMFADevice(ctx, enableInput(t, "carol", serial, v.VirtualMFADevice.Base32StringSeed))
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:EnableMFADevice", azARN+"user/carol", because("identity-based policy", "iam:EnableMFADevice")))
	_, err = alice.EnableMFADevice(ctx, enableInput(t, "alice", serial, v.VirtualMFADevice.Base32StringSeed))
	e.check(err)
	l, err := alice.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	e.check(err)
	if len(l.MFADevices) != 1 {
		t.Fatalf("ListMFADevices: %+v", l.MFADevices)
	}
	_, err = alice.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:DeleteVirtualMFADevice", serial, because("identity-based policy", "iam:DeleteVirtualMFADevice")))
	_, err = alice.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:ListVirtualMFADevices", "*", because("identity-based policy", "iam:ListVirtualMFADevices")))
}

// Policies on MFA devices see the device's tags (aws:ResourceTag) and its ARN as stored: a tag change is
// seen at once, and a serial number in another case reaches no device.
func TestAuthzMFADeviceResourceTags(t *testing.T) {
	e := newAuthzEnv(t)
	dave := e.s.IAM(e.user("dave", azDoc(
		`{"Effect":"Allow","Action":"iam:TagMFADevice","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/owner":"dave"}}}`,
		azAllow("iam:ListMFADeviceTags", "*"),
	)))
	ctx := e.ctx
	mine, err := e.root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("dave"), Tags: tags("owner", "dave")})
	e.check(err)
	theirs, err := e.root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("erin"), Tags: tags("owner", "erin")})
	e.check(err)
	serial, other := aws.ToString(mine.VirtualMFADevice.SerialNumber), aws.ToString(theirs.VirtualMFADevice.SerialNumber)
	_, err = dave.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(serial), Tags: tags("k", "v")})
	e.check(err)
	_, err = dave.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(other), Tags: tags("k", "v")})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/dave", "iam:TagMFADevice", other, because("identity-based policy", "iam:TagMFADevice")))
	// The owner tag moves to dave: now allowed.
	_, err = e.root.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(other), Tags: tags("owner", "dave")})
	e.check(err)
	_, err = dave.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(other), Tags: tags("k", "v")})
	e.check(err)
	upper := strings.Replace(serial, "mfa/dave", "mfa/DAVE", 1)
	_, err = dave.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(upper)})
	wantError(t, "serial in another case", err, "NoSuchEntity", 404, "VirtualMFADevice with serial number "+upper+" doesn't exist.")
}

package iam

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/pquerna/otp/totp"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// newMFADevice creates a virtual device and returns its serial number and base32 seed.
func newMFADevice(t *testing.T, f *fixture, name string) (string, string) {
	t.Helper()
	out := must(f.svc.CreateVirtualMFADevice(f.root(), &iamapi.CreateVirtualMFADeviceRequest{VirtualMFADeviceName: ptr(name)}))(t)
	return *out.VirtualMFADevice.SerialNumber, string(out.VirtualMFADevice.Base32StringSeed)
}

// code is the device's TOTP code at t, as an authenticator app computes it.
func code(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(seed, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enable enables serial for user with two consecutive codes ending at the fixture's current step.
func enable(t *testing.T, f *fixture, user, serial, seed string) error {
	t.Helper()
	_, err := f.svc.EnableMFADevice(f.root(), &iamapi.EnableMFADeviceRequest{UserName: ptr(user), SerialNumber: ptr(serial),
		AuthenticationCode1: ptr(code(t, seed, f.now.Add(-30*time.Second))), AuthenticationCode2: ptr(code(t, seed, f.now))})
	return err
}

func TestCreateVirtualMFADeviceSeedAndQRCode(t *testing.T) {
	f := newFixture(t)
	out := must(f.svc.CreateVirtualMFADevice(f.root(), &iamapi.CreateVirtualMFADeviceRequest{
		VirtualMFADeviceName: ptr("Phone"), Path: ptr("/team/"), Tags: []iamapi.Tag{{Key: ptr("k"), Value: ptr("v")}}}))(t)
	v := out.VirtualMFADevice
	if *v.SerialNumber != "arn:aws:iam::"+testAccount+":mfa/team/Phone" {
		t.Fatalf("serial %s", *v.SerialNumber)
	}
	seed := string(v.Base32StringSeed)
	if len(seed) != 64 || strings.Trim(seed, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("seed %q is not 64 base32 characters", seed)
	}
	if len(v.Tags) != 1 {
		t.Fatalf("tags %v", v.Tags)
	}
	img, err := png.Decode(bytes.NewReader(v.QRCodePNG))
	if err != nil {
		t.Fatalf("QRCodePNG is not a PNG: %v", err)
	}
	uri := decodeQR(t, img)
	if !strings.HasPrefix(uri, "otpauth://totp/Amazon%20Web%20Services:Phone@"+testAccount+"?") || !strings.Contains(uri, "secret="+seed) {
		t.Fatalf("QR code holds %q", uri)
	}
	// A second device gets another seed; the stored one is sealed.
	_, seed2 := newMFADevice(t, f, "other")
	if seed2 == seed {
		t.Fatal("two devices share a seed")
	}
	var d *storage.MFADevice
	must(0, f.store.View(context.Background(), func(tx storage.Tx) error {
		var err error
		d, err = tx.GetMFADevice(context.Background(), testAccount, "phone")
		return err
	}))(t)
	if bytes.Contains(d.SeedSealed, v.Base32StringSeed) || len(d.SeedSealed) <= mfaSeedBytes {
		t.Fatal("seed not sealed at rest")
	}
	_, err = f.svc.CreateVirtualMFADevice(f.root(), &iamapi.CreateVirtualMFADeviceRequest{VirtualMFADeviceName: ptr("PHONE")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "MFADevice entity at the same path and name already exists.")
}

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	return res.GetText()
}

func TestEnableMFADevice(t *testing.T) {
	f := newFixture(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	serial, seed := newMFADevice(t, f, "bob-phone")
	in := func(c1, c2 string) *iamapi.EnableMFADeviceRequest {
		return &iamapi.EnableMFADeviceRequest{UserName: ptr("bob"), SerialNumber: ptr(serial), AuthenticationCode1: ptr(c1), AuthenticationCode2: ptr(c2)}
	}
	now, prev := code(t, seed, f.now), code(t, seed, f.now.Add(-30*time.Second))
	// Not consecutive, reversed, or the same code twice: refused.
	for _, c := range [][2]string{{now, now}, {now, prev}, {"000000", now}, {prev, code(t, seed, f.now.Add(30*time.Second))}, {prev, prev}} {
		_, err := f.svc.EnableMFADevice(f.root(), in(c[0], c[1]))
		assertAPIError(t, err, "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
	}
	_, err := f.svc.EnableMFADevice(f.asUser("bob"), &iamapi.EnableMFADeviceRequest{UserName: ptr("nobody"), SerialNumber: ptr(serial), AuthenticationCode1: ptr(prev), AuthenticationCode2: ptr(now)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")
	// Five tries spent the device's burst (the unknown user's did not reach the device): the sixth is
	// throttled before its codes are looked at.
	_, err = f.svc.EnableMFADevice(f.root(), in(prev, now))
	assertAPIError(t, err, "Throttling", 400, "Rate exceeded")
	f.now = f.now.Add(mfaGuessInterval)
	now, prev = code(t, seed, f.now), code(t, seed, f.now.Add(-30*time.Second))
	must(f.svc.EnableMFADevice(f.root(), in(prev, now)))(t)
}

func TestMFADeviceLifecycle(t *testing.T) {
	f := newFixture(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	serial, seed := newMFADevice(t, f, "bob-phone")
	spare, _ := newMFADevice(t, f, "spare")
	if err := enable(t, f, "bob", serial, seed); err != nil {
		t.Fatal(err)
	}
	// Enabling again, or deleting while enabled: refused.
	f.now = f.now.Add(time.Minute)
	assertAPIError(t, enable(t, f, "bob", serial, seed), "EntityAlreadyExists", 409, "MFA Device is already in use.")
	_, err := f.svc.DeleteVirtualMFADevice(f.root(), &iamapi.DeleteVirtualMFADeviceRequest{SerialNumber: ptr(serial)})
	assertAPIError(t, err, "DeleteConflict", 409, "MFA VirtualDevice in use. Must deactivate first.")

	l := must(f.svc.ListMFADevices(f.asUser("bob"), &iamapi.ListMFADevicesRequest{}))(t)
	if len(l.MFADevices) != 1 || *l.MFADevices[0].SerialNumber != serial || *l.MFADevices[0].UserName != "bob" || l.MFADevices[0].EnableDate == nil {
		t.Fatalf("ListMFADevices: %+v", l.MFADevices)
	}
	for status, want := range map[string][]string{"Assigned": {serial}, "Unassigned": {spare}, "Any": {serial, spare}, "": {serial, spare}} {
		in := &iamapi.ListVirtualMFADevicesRequest{}
		if status != "" {
			in.AssignmentStatus = ptr(status)
		}
		v := must(f.svc.ListVirtualMFADevices(f.root(), in))(t)
		var got []string
		for _, d := range v.VirtualMFADevices {
			got = append(got, *d.SerialNumber)
			if d.Base32StringSeed != nil || d.QRCodePNG != nil {
				t.Fatal("a listing returns the seed")
			}
			if (*d.SerialNumber == serial) != (d.User != nil) {
				t.Fatalf("%s: user %+v", *d.SerialNumber, d.User)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%q: %v, want %v", status, got, want)
		}
	}
	g := must(f.svc.GetMFADevice(f.root(), &iamapi.GetMFADeviceRequest{SerialNumber: ptr(serial), UserName: ptr("bob")}))(t)
	if *g.UserName != "bob" || *g.SerialNumber != serial {
		t.Fatalf("GetMFADevice %+v", g)
	}
	sum := must(f.svc.GetAccountSummary(f.root(), &iamapi.GetAccountSummaryInput{}))(t)
	if sum.SummaryMap["MFADevices"] != 2 || sum.SummaryMap["MFADevicesInUse"] != 1 || sum.SummaryMap["AccountMFAEnabled"] != 0 {
		t.Fatalf("summary %v", sum.SummaryMap)
	}
	// Deactivating a device not enabled for the named user: refused.
	_, err = f.svc.DeactivateMFADevice(f.root(), &iamapi.DeactivateMFADeviceRequest{UserName: ptr("bob"), SerialNumber: ptr(spare)})
	assertAPIError(t, err, "NoSuchEntity", 404, "MFA Device invalid for user.")
	must(f.svc.DeactivateMFADevice(f.root(), &iamapi.DeactivateMFADeviceRequest{UserName: ptr("bob"), SerialNumber: ptr(serial)}))(t)
	must(f.svc.DeleteVirtualMFADevice(f.root(), &iamapi.DeleteVirtualMFADeviceRequest{SerialNumber: ptr(serial)}))(t)
	_, err = f.svc.DeleteVirtualMFADevice(f.root(), &iamapi.DeleteVirtualMFADeviceRequest{SerialNumber: ptr(serial)})
	assertAPIError(t, err, "NoSuchEntity", 404, "VirtualMFADevice with serial number "+serial+" doesn't exist.")
	// A serial in another case than stored is no device (policies decide on the serial as given).
	upper := spare[:len(spare)-5] + "SPARE"
	_, err = f.svc.DeleteVirtualMFADevice(f.root(), &iamapi.DeleteVirtualMFADeviceRequest{SerialNumber: ptr(upper)})
	assertAPIError(t, err, "NoSuchEntity", 404, "VirtualMFADevice with serial number "+upper+" doesn't exist.")
	// Another account's serial is no device here.
	other := strings.Replace(spare, testAccount, otherTestAccount, 1)
	_, err = f.svc.GetMFADevice(f.root(), &iamapi.GetMFADeviceRequest{SerialNumber: ptr(other)})
	assertAPIError(t, err, "NoSuchEntity", 404, "VirtualMFADevice with serial number "+other+" doesn't exist.")
}

func TestRootMFADevice(t *testing.T) {
	f := newFixture(t)
	serial, seed := newMFADevice(t, f, "root-account-mfa-device")
	if err := enable(t, f, testAccount, serial, seed); err != nil {
		t.Fatal(err)
	}
	sum := must(f.svc.GetAccountSummary(f.root(), &iamapi.GetAccountSummaryInput{}))(t)
	if sum.SummaryMap["AccountMFAEnabled"] != 1 || sum.SummaryMap["MFADevicesInUse"] != 1 {
		t.Fatalf("summary %v", sum.SummaryMap)
	}
	l := must(f.svc.ListMFADevices(f.root(), &iamapi.ListMFADevicesRequest{}))(t)
	if len(l.MFADevices) != 1 || l.MFADevices[0].UserName != nil {
		t.Fatalf("root's devices %+v", l.MFADevices)
	}
	v := must(f.svc.ListVirtualMFADevices(f.root(), &iamapi.ListVirtualMFADevicesRequest{}))(t)
	if u := v.VirtualMFADevices[0].User; u == nil || *u.Arn != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("root device user %+v", u)
	}
	f.now = f.now.Add(time.Minute)
	if ok := must(f.svc.VerifyMFACode(context.Background(), testAccount, "", serial, code(t, seed, f.now)))(t); !ok {
		t.Fatal("root's code refused")
	}
	must(f.svc.DeactivateMFADevice(f.root(), &iamapi.DeactivateMFADeviceRequest{SerialNumber: ptr(serial)}))(t)
	sum = must(f.svc.GetAccountSummary(f.root(), &iamapi.GetAccountSummaryInput{}))(t)
	if sum.SummaryMap["AccountMFAEnabled"] != 0 {
		t.Fatalf("summary %v", sum.SummaryMap)
	}
}

func TestMFADevicesPerUserQuota(t *testing.T) {
	f := newFixture(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	for i := range maxMFADevicesPerUser + 1 {
		serial, seed := newMFADevice(t, f, "d"+string(rune('a'+i)))
		f.now = f.now.Add(time.Minute)
		err := enable(t, f, "bob", serial, seed)
		if i < maxMFADevicesPerUser && err != nil {
			t.Fatal(err)
		}
		if i == maxMFADevicesPerUser {
			assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for MFADevicesPerUser: 8")
		}
	}
}

func TestVerifyMFACode(t *testing.T) {
	f := newFixture(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("eve")}))(t)
	serial, seed := newMFADevice(t, f, "bob-phone")
	f.svc.mfaThrottle = newRateLimiter(100, mfaGuessInterval, mfaThrottleTracked) // see TestMFACodeGuessingIsThrottled
	ctx := context.Background()
	verify := func(user, c string) bool { return must(f.svc.VerifyMFACode(ctx, testAccount, user, serial, c))(t) }
	if verify("bob", code(t, seed, f.now)) {
		t.Fatal("an unassigned device's code accepted")
	}
	if err := enable(t, f, "bob", serial, seed); err != nil {
		t.Fatal(err)
	}
	// The codes used to enable are spent.
	if verify("bob", code(t, seed, f.now)) {
		t.Fatal("the enabling code accepted again")
	}
	f.now = f.now.Add(30 * time.Second)
	c := code(t, seed, f.now)
	if verify("eve", c) || verify("", c) {
		t.Fatal("another principal's device accepted")
	}
	if !verify("BOB", c) {
		t.Fatal("a fresh code refused")
	}
	if verify("bob", c) {
		t.Fatal("a code replayed")
	}
	// Another node (a second service over the same store) refuses the replay too.
	node2 := New(Options{Store: f.store, Sealer: f.seal, Now: func() time.Time { return f.now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if ok := must(node2.VerifyMFACode(ctx, testAccount, "bob", serial, c))(t); ok {
		t.Fatal("a code replayed on another node")
	}
	f.now = f.now.Add(5 * time.Minute)
	if verify("bob", code(t, seed, f.now.Add(-2*time.Minute))) || verify("bob", "12345") {
		t.Fatal("a stale or malformed code accepted")
	}
	if !verify("bob", code(t, seed, f.now)) {
		t.Fatal("a fresh code refused")
	}
}

func TestMFACodeGuessingIsThrottled(t *testing.T) {
	f := newFixture(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	serial, seed := newMFADevice(t, f, "bob-phone")
	if err := enable(t, f, "bob", serial, seed); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range mfaGuessBurst - 1 {
		if ok := must(f.svc.VerifyMFACode(ctx, testAccount, "bob", serial, "00000"+string(rune('0'+i))))(t); ok {
			t.Skip("guessed a code") // one chance in a million
		}
	}
	_, err := f.svc.VerifyMFACode(ctx, testAccount, "bob", serial, "111111")
	assertAPIError(t, err, "Throttling", 400, "Rate exceeded")
	f.now = f.now.Add(mfaGuessInterval)
	if ok := must(f.svc.VerifyMFACode(ctx, testAccount, "bob", serial, code(t, seed, f.now)))(t); !ok {
		t.Fatal("a valid code refused after the bucket refilled")
	}
}

func TestResyncMFADevice(t *testing.T) {
	f := newFixture(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	serial, seed := newMFADevice(t, f, "bob-phone")
	if err := enable(t, f, "bob", serial, seed); err != nil {
		t.Fatal(err)
	}
	// The phone's clock runs 5 minutes slow: its codes are out of the sign-in window.
	f.now = f.now.Add(time.Hour)
	phone := f.now.Add(-5 * time.Minute)
	if must(f.svc.VerifyMFACode(context.Background(), testAccount, "bob", serial, code(t, seed, phone)))(t) {
		t.Fatal("a drifted code accepted")
	}
	in := &iamapi.ResyncMFADeviceRequest{UserName: ptr("bob"), SerialNumber: ptr(serial),
		AuthenticationCode1: ptr(code(t, seed, phone)), AuthenticationCode2: ptr(code(t, seed, phone.Add(30*time.Second)))}
	must(f.svc.ResyncMFADevice(f.root(), in))(t)
	_, err := f.svc.ResyncMFADevice(f.root(), in)
	assertAPIError(t, err, "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
	f.now = f.now.Add(time.Minute)
	if !must(f.svc.VerifyMFACode(context.Background(), testAccount, "bob", serial, code(t, seed, f.now.Add(-5*time.Minute))))(t) {
		t.Fatal("the resynchronised device's code refused")
	}
}

func TestMFADeviceTags(t *testing.T) {
	f := newFixture(t)
	serial, _ := newMFADevice(t, f, "d")
	must(f.svc.TagMFADevice(f.root(), &iamapi.TagMFADeviceRequest{SerialNumber: ptr(serial), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("1")}, {Key: ptr("b"), Value: ptr("2")}}}))(t)
	must(f.svc.UntagMFADevice(f.root(), &iamapi.UntagMFADeviceRequest{SerialNumber: ptr(serial), TagKeys: []string{"A"}}))(t)
	l := must(f.svc.ListMFADeviceTags(f.root(), &iamapi.ListMFADeviceTagsRequest{SerialNumber: ptr(serial)}))(t)
	if len(l.Tags) != 1 || *l.Tags[0].Key != "b" {
		t.Fatalf("tags %+v", l.Tags)
	}
	many := make([]iamapi.Tag, maxTagsPerEntity+1)
	for i := range many {
		many[i] = iamapi.Tag{Key: ptr("k" + strings.Repeat("x", i)), Value: ptr("")}
	}
	_, err := f.svc.TagMFADevice(f.root(), &iamapi.TagMFADeviceRequest{SerialNumber: ptr(serial), Tags: many})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for TagsPerMFADevice: 50")
	_, err = f.svc.ListMFADeviceTags(f.root(), &iamapi.ListMFADeviceTagsRequest{SerialNumber: ptr(serial + "x")})
	assertAPIError(t, err, "NoSuchEntity", 404, "VirtualMFADevice with serial number "+serial+"x doesn't exist.")
}

// FuzzParseMFASerial: a serial number parses only into a path and name that rebuild it exactly.
func FuzzParseMFASerial(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::123456789012:mfa/a", "arn:aws:iam::123456789012:mfa/p/q/a", "arn:aws:iam::123456789012:mfa/",
		"arn:aws:iam::123456789012:mfa//", "GAHT12345678", "arn:aws:iam::210987654321:mfa/a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, serial string) {
		path, name, ok := parseMFASerial("aws", testAccount, serial)
		if !ok {
			return
		}
		if name == "" || strings.Contains(name, "/") || !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
			t.Fatalf("%q: path %q name %q", serial, path, name)
		}
		if got := (scope{partition: "aws", account: testAccount}).arn("mfa", path, name); got != serial {
			t.Fatalf("%q rebuilds as %q", serial, got)
		}
	})
}

// Only existing devices get a throttle bucket: made-up serial numbers do not grow the map.
func TestMFAThrottleHoldsOnlyExistingDevices(t *testing.T) {
	f := newFixture(t)
	must(f.svc.CreateUser(f.root(), &iamapi.CreateUserRequest{UserName: ptr("bob")}))(t)
	for i := range 200 {
		serial := "arn:aws:iam::" + testAccount + ":mfa/guess" + strings.Repeat("x", i)
		_, err := f.svc.EnableMFADevice(f.root(), &iamapi.EnableMFADeviceRequest{UserName: ptr("bob"), SerialNumber: ptr(serial),
			AuthenticationCode1: ptr("000000"), AuthenticationCode2: ptr("000001")})
		assertAPIError(t, err, "NoSuchEntity", 404, "VirtualMFADevice with serial number "+serial+" doesn't exist.")
		if ok := must(f.svc.VerifyMFACode(context.Background(), testAccount, "bob", serial, "000000"))(t); ok {
			t.Fatal("a code of no device accepted")
		}
	}
	if n := f.svc.MFAThrottleEntries(); n != 0 {
		t.Fatalf("throttle holds %d buckets for devices that do not exist", n)
	}
	serial, _ := newMFADevice(t, f, "real")
	_, _ = f.svc.VerifyMFACode(context.Background(), testAccount, "bob", serial, "000000")
	if n := f.svc.MFAThrottleEntries(); n != 1 {
		t.Fatalf("throttle holds %d buckets, want 1", n)
	}
}

// An account holds as many virtual MFA devices as it may have users.
func TestVirtualMFADevicesPerAccountQuota(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must(0, f.store.Update(ctx, func(tx storage.Tx) error {
		for i := range maxVirtualMFADevicesPerAccount {
			if err := tx.CreateMFADevice(ctx, &storage.MFADevice{AccountID: testAccount, Name: "d" + strconv.Itoa(i), Path: "/", CreatedAt: f.now}); err != nil {
				return err
			}
		}
		return nil
	}))(t)
	_, err := f.svc.CreateVirtualMFADevice(f.root(), &iamapi.CreateVirtualMFADeviceRequest{VirtualMFADeviceName: ptr("one-more")})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for MFADevices: 5000")
	// Another account is not affected.
	must(f.svc.CreateVirtualMFADevice(rootOf(otherTestAccount), &iamapi.CreateVirtualMFADeviceRequest{VirtualMFADeviceName: ptr("one-more")}))(t)
}

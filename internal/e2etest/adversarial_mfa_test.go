package e2etest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// A code accepted once is never accepted again: codes that enabled a device do not enable it a second
// time after it was deactivated (someone who watched them be typed cannot reuse them).
func TestAdversarialMFACodeReplayIsRefused(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	v := must[*iam.CreateVirtualMFADeviceOutput](t, "CreateVirtualMFADevice")(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("bob")})).VirtualMFADevice
	in := enableInput(t, "bob", aws.ToString(v.SerialNumber), v.Base32StringSeed)
	must[*iam.EnableMFADeviceOutput](t, "EnableMFADevice")(c.EnableMFADevice(ctx, in))
	must[*iam.DeactivateMFADeviceOutput](t, "DeactivateMFADevice")(c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{
		UserName: aws.String("bob"), SerialNumber: v.SerialNumber}))
	wantError(t, "replayed codes", call(c.EnableMFADevice(ctx, in)), "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
}

// Guessing a device's codes is throttled per device before any code is checked: after a burst of wrong
// guesses even the right codes are answered with Throttling, so a guesser gets a few tries a minute.
func TestAdversarialMFACodeGuessingIsThrottled(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	v := must[*iam.CreateVirtualMFADeviceOutput](t, "CreateVirtualMFADevice")(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("bob")})).VirtualMFADevice
	guesses := 0
	for guesses < 100 {
		guesses++
		err := call(c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("bob"), SerialNumber: v.SerialNumber,
			AuthenticationCode1: aws.String("000000"), AuthenticationCode2: aws.String("000001")}))
		if errorOf(t, err).Code == "Throttling" {
			break
		}
		wantError(t, "guess", err, "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
	}
	if guesses > 6 {
		t.Fatalf("%d guesses before throttling", guesses)
	}
	wantError(t, "right codes while throttled", call(c.EnableMFADevice(ctx, enableInput(t, "bob", aws.ToString(v.SerialNumber), v.Base32StringSeed))),
		"Throttling", 400, "Rate exceeded")
}

// The replay rule holds across nodes: codes accepted by one node (PostgreSQL, two servers) are refused
// by the other, because the last accepted time step is stored with the device in the transaction that
// accepted them.
func TestAdversarialMFACodeReplayOnAnotherNodeIsRefused(t *testing.T) {
	nodes := startNodes(t, 2)
	a, b := nodes[0].IAM(RootCreds()), nodes[1].IAM(RootCreds())
	ctx := t.Context()
	must[*iam.CreateUserOutput](t, "CreateUser")(a.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	v := must[*iam.CreateVirtualMFADeviceOutput](t, "CreateVirtualMFADevice")(a.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("bob")})).VirtualMFADevice
	in := enableInput(t, "bob", aws.ToString(v.SerialNumber), v.Base32StringSeed)
	must[*iam.EnableMFADeviceOutput](t, "EnableMFADevice")(a.EnableMFADevice(ctx, in))
	must[*iam.DeactivateMFADeviceOutput](t, "DeactivateMFADevice")(a.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{
		UserName: aws.String("bob"), SerialNumber: v.SerialNumber}))
	wantError(t, "codes replayed on the other node", call(b.EnableMFADevice(ctx, in)), "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
}

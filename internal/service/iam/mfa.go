package iam

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// Virtual MFA devices are RFC 6238 TOTP devices (HMAC-SHA-1, 30-second steps, 6 digits), as AWS's. The
// seed is generated here, returned once by CreateVirtualMFADevice (base32 and as a QR code of its
// otpauth:// URI) and kept sealed by the master key. Every accepted code moves the device's LastStep
// forward in the same transaction that checked it, so a code is accepted once, on any node.

const (
	mfaPeriod = 30 * time.Second
	// mfaIssuer is the issuer AWS writes into the otpauth:// URI (authenticator apps show it).
	mfaIssuer = "Amazon Web Services"
)

var (
	mfaOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	b32     = base32.StdEncoding.WithPadding(base32.NoPadding)
)

func noSuchMFADevice(serial string) error {
	return iamapi.NewNoSuchEntityException("VirtualMFADevice with serial number " + serial + " doesn't exist.")
}

func errInvalidMFACode() error {
	return iamapi.NewInvalidAuthenticationCodeException("Authentication code for device is not valid.")
}

func errMFAInvalidForUser() error {
	return iamapi.NewNoSuchEntityException("MFA Device invalid for user.")
}

// MFASeedAssociatedData binds a sealed seed to its account and device name, so a sealed seed cannot be
// moved to another device's row.
func MFASeedAssociatedData(acct, name string) []byte {
	return []byte("mfa:" + acct + "/" + storage.Fold(name))
}

// mfaOwner is whom a device is (or is to be) assigned to: an IAM user, or the account's root user.
type mfaOwner struct {
	user string // stored name; "" for root
	root bool
}

func (o mfaOwner) holds(d *storage.MFADevice) bool {
	if o.root {
		return d.Root
	}
	return !d.Root && d.UserName != "" && fold(d.UserName) == fold(o.user)
}

func (o mfaOwner) filter() storage.MFAFilter {
	if o.root {
		return storage.MFAFilter{Root: true}
	}
	return storage.MFAFilter{UserName: o.user}
}

// resolveMFAOwner finds the principal an operation addresses. A named IAM user must exist. The root user
// manages its own devices: with no UserName where the model allows none, and, when nameRequired
// (EnableMFADevice and ResyncMFADevice, whose model requires a UserName while the root user has none),
// with a UserName that names no IAM user of the account. Any other caller without a UserName addresses
// itself.
func resolveMFAOwner(ctx context.Context, tx storage.Tx, sc scope, name string, nameRequired bool) (mfaOwner, error) {
	isRoot := sc.caller != nil && sc.caller.Kind == reqctx.CallerRoot
	if name == "" {
		if isRoot {
			return mfaOwner{root: true}, nil
		}
		if c := sc.caller; c != nil && c.Kind == reqctx.CallerUser {
			name = c.PrincipalName
			if name == "" {
				name = c.Name
			}
		} else {
			return mfaOwner{}, protocol.NewError("ValidationError", 400, "Must specify userName when calling with non-User credentials")
		}
	}
	u, err := tx.GetUser(ctx, sc.account, name)
	if errors.Is(err, storage.ErrNotFound) && isRoot && nameRequired {
		return mfaOwner{root: true}, nil
	}
	if err != nil {
		return mfaOwner{}, notFound(err, func() error { return noSuchUser(name) })
	}
	return mfaOwner{user: u.Name}, nil
}

// parseMFASerial splits a virtual device's serial number (its ARN in the caller's account and partition)
// into path and name; ok is false for anything else (hardware serials, other accounts).
func parseMFASerial(partition, acct, serial string) (path, name string, ok bool) {
	prefix := "arn:" + partition + ":iam::" + acct + ":" + ids.KindMFA + "/"
	if !strings.HasPrefix(serial, prefix) {
		return "", "", false
	}
	rest := serial[len(prefix):]
	i := strings.LastIndexByte(rest, '/')
	path, name = "/"+rest[:i+1], rest[i+1:]
	if name == "" {
		return "", "", false
	}
	return path, name, true
}

// getMFADevice loads the device a serial number names, or NoSuchEntity.
func getMFADevice(ctx context.Context, tx storage.Tx, sc scope, serial string) (*storage.MFADevice, error) {
	path, name, ok := parseMFASerial(sc.partition, sc.account, serial)
	if !ok {
		return nil, noSuchMFADevice(serial)
	}
	d, err := tx.GetMFADevice(ctx, sc.account, name)
	if err != nil {
		return nil, notFound(err, func() error { return noSuchMFADevice(serial) })
	}
	// The serial number must be the stored ARN exactly: the policy evaluator decides on the ARN as given,
	// so a serial spelled in another case must not reach a device a policy names in its own case.
	if d.Path != path || d.Name != name {
		return nil, noSuchMFADevice(serial)
	}
	return d, nil
}

func (sc scope) mfaSerial(d *storage.MFADevice) string { return sc.arn(ids.KindMFA, d.Path, d.Name) }

// CreateVirtualMFADevice creates an unassigned virtual MFA device with a new random seed, and returns the
// seed (base32) and its QR code: the only time either leaves the server.
func (s *Service) CreateVirtualMFADevice(ctx context.Context, in *iamapi.CreateVirtualMFADeviceRequest) (*iamapi.CreateVirtualMFADeviceResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkRequestTags(in.Tags); err != nil {
		return nil, err
	}
	if len(in.Tags) > maxTagsPerEntity {
		return nil, iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for TagsPerMFADevice: %d", maxTagsPerEntity))
	}
	name := str(in.VirtualMFADeviceName)
	seed := make([]byte, mfaSeedBytes)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("generating MFA seed: %w", err)
	}
	sealed, err := s.sealer.Seal(seed, MFASeedAssociatedData(sc.account, name))
	if err != nil {
		return nil, fmt.Errorf("sealing MFA seed: %w", err)
	}
	d := &storage.MFADevice{AccountID: sc.account, Name: name, Path: pathOr(in.Path), SeedSealed: sealed,
		CreatedAt: sc.now, Tags: tagsIn(in.Tags)}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		c, err := tx.Counts(ctx, sc.account)
		if err != nil {
			return err
		}
		if c.MFADevices >= maxVirtualMFADevicesPerAccount {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for MFADevices: %d", maxVirtualMFADevicesPerAccount))
		}
		err = tx.CreateMFADevice(ctx, d)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return iamapi.NewEntityAlreadyExistsException("MFADevice entity at the same path and name already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	serial := sc.mfaSerial(d)
	// The URI names the device and account as AWS's does: ISSUER:NAME@ACCOUNT.
	key, err := totp.Generate(totp.GenerateOpts{Issuer: mfaIssuer, AccountName: name + "@" + sc.account,
		Secret: seed, Period: uint(mfaPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("MFA key URI: %w", err)
	}
	img, err := key.Image(mfaQRCodeSize, mfaQRCodeSize)
	if err != nil {
		return nil, fmt.Errorf("MFA QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("MFA QR code PNG: %w", err)
	}
	return &iamapi.CreateVirtualMFADeviceResponse{VirtualMFADevice: &iamapi.VirtualMFADevice{
		SerialNumber:     ptr(serial),
		Base32StringSeed: []byte(b32.EncodeToString(seed)),
		QRCodePNG:        buf.Bytes(),
		Tags:             tagsOut(d.Tags),
	}}, nil
}

// mfaStep is the TOTP time step of t.
func mfaStep(t time.Time) int64 { return t.Unix() / int64(mfaPeriod/time.Second) }

// mfaCodeAt reports whether code is the device's code for time step step, in constant time.
func mfaCodeAt(secret string, step int64, code string) bool {
	if step < 0 {
		return false
	}
	want, err := hotp.GenerateCodeCustom(secret, uint64(step), mfaOpts)
	return err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
}

// mfaMatch finds the first time step n in [from, to] after the device's LastStep at which code1 (and,
// when code2 is set, code2 at n+1) are the device's codes; it returns the last step used, or -1.
func mfaMatch(secret string, last, from, to int64, code1, code2 string) int64 {
	for n := max(from, last+1); n <= to; n++ {
		if !mfaCodeAt(secret, n, code1) {
			continue
		}
		if code2 == "" {
			return n
		}
		if mfaCodeAt(secret, n+1, code2) {
			return n + 1
		}
	}
	return -1
}

// mfaSecret opens a device's seed as the base32 secret pquerna/otp takes.
func (s *Service) mfaSecret(d *storage.MFADevice) (string, error) {
	seed, err := s.sealer.Open(d.SeedSealed, MFASeedAssociatedData(d.AccountID, d.Name))
	if err != nil {
		return "", fmt.Errorf("opening seed of MFA device %s: %w", d.Name, err)
	}
	return b32.EncodeToString(seed), nil
}

// throttleMFA admits one code check on a device at the service's clock. Only devices that exist get a
// bucket, so serial numbers made up by the thousand cannot fill the map and lock out real devices. It
// runs inside the transaction that checks the code: a transaction retried after a conflict takes a
// second token, which errs on the safe side.
func (s *Service) throttleMFA(d *storage.MFADevice) error {
	if !s.mfaThrottle.allow(d.AccountID+"/"+storage.Fold(d.Name), s.now()) {
		return errThrottled()
	}
	return nil
}

// MFAThrottleEntries reports how many per-device buckets the code-guessing throttle holds (bounded by
// mfaThrottleTracked), for tests and metrics.
func (s *Service) MFAThrottleEntries() int { return s.mfaThrottle.size() }

// checkTwoCodes verifies two consecutive codes of d within [cur+lo, cur+hi] for the first one and, when
// they match, records the step of the second as LastStep and the drift it shows. The caller stores d.
func (s *Service) checkTwoCodes(d *storage.MFADevice, code1, code2 string, lo, hi int64) error {
	secret, err := s.mfaSecret(d)
	if err != nil {
		return err
	}
	cur := mfaStep(s.now())
	n := mfaMatch(secret, d.LastStep, cur+lo, cur+hi, code1, code2)
	if n < 0 {
		return errInvalidMFACode()
	}
	d.LastStep, d.Drift = n, n-cur
	return nil
}

// updateWithCodes runs an operation that checks codes of the device serial for the principal userName
// names (EnableMFADevice, ResyncMFADevice): throttled per device first, then fn in one transaction with
// the owner and the device, and the device stored when fn succeeds.
func (s *Service) updateWithCodes(ctx context.Context, userName, serial string, fn func(sc scope, o mfaOwner, d *storage.MFADevice, held func() (int, error)) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		o, err := resolveMFAOwner(ctx, tx, sc, userName, true)
		if err != nil {
			return err
		}
		d, err := getMFADevice(ctx, tx, sc, serial)
		if err != nil {
			return err
		}
		if err := s.throttleMFA(d); err != nil {
			return err
		}
		held := func() (int, error) {
			ds, err := tx.ListMFADevices(ctx, sc.account, o.filter(), storage.ListOptions{Limit: maxMFADevicesPerUser})
			return len(ds), err
		}
		if err := fn(sc, o, d, held); err != nil {
			return err
		}
		return tx.UpdateMFADevice(ctx, d)
	})
}

// EnableMFADevice assigns an unassigned virtual device to a user (or the root user) after checking two
// consecutive codes from it.
func (s *Service) EnableMFADevice(ctx context.Context, in *iamapi.EnableMFADeviceRequest) (*iamapi.EnableMFADeviceOutput, error) {
	err := s.updateWithCodes(ctx, str(in.UserName), str(in.SerialNumber), func(sc scope, o mfaOwner, d *storage.MFADevice, held func() (int, error)) error {
		if d.Assigned() {
			return iamapi.NewEntityAlreadyExistsException("MFA Device is already in use.")
		}
		n, err := held()
		if err != nil {
			return err
		}
		if n >= maxMFADevicesPerUser {
			return iamapi.NewLimitExceededException(fmt.Sprintf("Cannot exceed quota for MFADevicesPerUser: %d", maxMFADevicesPerUser))
		}
		// The first code may be up to two steps old: the user read two codes before sending them.
		if err := s.checkTwoCodes(d, str(in.AuthenticationCode1), str(in.AuthenticationCode2), -1-mfaSkewSteps, mfaSkewSteps-1); err != nil {
			return err
		}
		d.Drift = 0
		d.UserName, d.Root, d.EnableDate = o.user, o.root, sc.now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.EnableMFADeviceOutput{}, nil
}

// ResyncMFADevice re-synchronises an enabled device with two consecutive codes, looking further around
// the server's time than a sign-in does, and remembers the device's drift.
func (s *Service) ResyncMFADevice(ctx context.Context, in *iamapi.ResyncMFADeviceRequest) (*iamapi.ResyncMFADeviceOutput, error) {
	err := s.updateWithCodes(ctx, str(in.UserName), str(in.SerialNumber), func(_ scope, o mfaOwner, d *storage.MFADevice, _ func() (int, error)) error {
		if !o.holds(d) {
			return errMFAInvalidForUser()
		}
		return s.checkTwoCodes(d, str(in.AuthenticationCode1), str(in.AuthenticationCode2), -mfaResyncSteps, mfaResyncSteps)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ResyncMFADeviceOutput{}, nil
}

// DeactivateMFADevice unassigns a device from its user (or the root user); the device remains, with its
// seed and its last used step.
func (s *Service) DeactivateMFADevice(ctx context.Context, in *iamapi.DeactivateMFADeviceRequest) (*iamapi.DeactivateMFADeviceOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		o, err := resolveMFAOwner(ctx, tx, sc, str(in.UserName), false)
		if err != nil {
			return err
		}
		d, err := getMFADevice(ctx, tx, sc, str(in.SerialNumber))
		if err != nil {
			return err
		}
		if !o.holds(d) {
			return errMFAInvalidForUser()
		}
		d.UserName, d.Root, d.EnableDate, d.Drift = "", false, time.Time{}, 0
		return tx.UpdateMFADevice(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeactivateMFADeviceOutput{}, nil
}

// DeleteVirtualMFADevice deletes an unassigned device.
func (s *Service) DeleteVirtualMFADevice(ctx context.Context, in *iamapi.DeleteVirtualMFADeviceRequest) (*iamapi.DeleteVirtualMFADeviceOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		d, err := getMFADevice(ctx, tx, sc, str(in.SerialNumber))
		if err != nil {
			return err
		}
		if d.Assigned() {
			return iamapi.NewDeleteConflictException("MFA VirtualDevice in use. Must deactivate first.")
		}
		return tx.DeleteMFADevice(ctx, sc.account, d.Name)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteVirtualMFADeviceOutput{}, nil
}

// ListMFADevices lists the devices enabled for a user (the caller when none is named; the root user's for
// the root user).
func (s *Service) ListMFADevices(ctx context.Context, in *iamapi.ListMFADevicesRequest) (*iamapi.ListMFADevicesResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var ds []*storage.MFADevice
	var o mfaOwner
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		if o, err = resolveMFAOwner(ctx, tx, sc, str(in.UserName), false); err != nil {
			return err
		}
		ds, err = tx.ListMFADevices(ctx, sc.account, o.filter(), storage.ListOptions{After: p.after, Limit: p.limit()})
		return err
	})
	if err != nil {
		return nil, err
	}
	ds, truncated, marker := paginate(ds, p, func(d *storage.MFADevice) string { return d.Name })
	out := &iamapi.ListMFADevicesResponse{MFADevices: make([]iamapi.MFADevice, len(ds)), IsTruncated: truncated, Marker: marker}
	for i, d := range ds {
		out.MFADevices[i] = iamapi.MFADevice{SerialNumber: ptr(sc.mfaSerial(d)), EnableDate: timePtr(d.EnableDate)}
		if !d.Root {
			out.MFADevices[i].UserName = ptr(d.UserName)
		}
	}
	return out, nil
}

// ListVirtualMFADevices lists the account's virtual devices by assignment status, with the user each is
// assigned to (not their tags, as documented).
func (s *Service) ListVirtualMFADevices(ctx context.Context, in *iamapi.ListVirtualMFADevicesRequest) (*iamapi.ListVirtualMFADevicesResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var f storage.MFAFilter
	switch str(in.AssignmentStatus) {
	case iamapi.AssignmentStatusTypeAssigned:
		f.Assigned = ptr(true)
	case iamapi.AssignmentStatusTypeUnassigned:
		f.Assigned = ptr(false)
	}
	var ds []*storage.MFADevice
	users := map[string]*storage.User{}
	var acct *storage.Account
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		ds, err = tx.ListMFADevices(ctx, sc.account, f, storage.ListOptions{After: p.after, Limit: p.limit()})
		if err != nil {
			return err
		}
		for _, d := range ds {
			switch {
			case d.Root && acct == nil:
				if acct, err = tx.GetAccount(ctx, sc.account); err != nil {
					return err
				}
			case d.UserName != "" && users[fold(d.UserName)] == nil:
				u, err := tx.GetUser(ctx, sc.account, d.UserName)
				if err != nil {
					return err
				}
				users[fold(d.UserName)] = u
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ds, truncated, marker := paginate(ds, p, func(d *storage.MFADevice) string { return d.Name })
	out := &iamapi.ListVirtualMFADevicesResponse{VirtualMFADevices: make([]iamapi.VirtualMFADevice, len(ds)), IsTruncated: truncated, Marker: marker}
	for i, d := range ds {
		v := iamapi.VirtualMFADevice{SerialNumber: ptr(sc.mfaSerial(d)), EnableDate: timePtr(d.EnableDate)}
		switch {
		case d.Root:
			// The root user as GetUser shows it: no name or path.
			v.User = &iamapi.User{UserId: ptr(sc.account), Arn: ptr(sc.rootARN()), CreateDate: timePtr(acct.CreatedAt)}
		case d.UserName != "":
			u := sc.userOut(users[fold(d.UserName)], false)
			v.User = &u
		}
		out.VirtualMFADevices[i] = v
	}
	return out, nil
}

// GetMFADevice returns a device by serial number; with UserName, only if it is enabled for that user.
func (s *Service) GetMFADevice(ctx context.Context, in *iamapi.GetMFADeviceRequest) (*iamapi.GetMFADeviceResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	serial := str(in.SerialNumber)
	var d *storage.MFADevice
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		if d, err = getMFADevice(ctx, tx, sc, serial); err != nil {
			return err
		}
		if name := str(in.UserName); name != "" {
			o, err := resolveMFAOwner(ctx, tx, sc, name, false)
			if err != nil {
				return err
			}
			if !o.holds(d) {
				return noSuchMFADevice(serial)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetMFADeviceResponse{SerialNumber: ptr(serial), EnableDate: timePtr(d.EnableDate)}
	if d.UserName != "" {
		out.UserName = ptr(d.UserName)
	}
	out.SerialNumber = ptr(sc.mfaSerial(d))
	return out, nil
}

// modifyMFADevice runs fn on the device a serial number names and stores it.
func (s *Service) modifyMFADevice(ctx context.Context, serial string, fn func(d *storage.MFADevice) error) error {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		d, err := getMFADevice(ctx, tx, sc, serial)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
		return tx.UpdateMFADevice(ctx, d)
	})
}

// TagMFADevice adds or replaces tags on a virtual device.
func (s *Service) TagMFADevice(ctx context.Context, in *iamapi.TagMFADeviceRequest) (*iamapi.TagMFADeviceOutput, error) {
	err := s.modifyMFADevice(ctx, str(in.SerialNumber), func(d *storage.MFADevice) error {
		tags, err := mergeTags(d.Tags, in.Tags, "TagsPerMFADevice")
		d.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagMFADeviceOutput{}, nil
}

// UntagMFADevice removes tags from a virtual device.
func (s *Service) UntagMFADevice(ctx context.Context, in *iamapi.UntagMFADeviceRequest) (*iamapi.UntagMFADeviceOutput, error) {
	err := s.modifyMFADevice(ctx, str(in.SerialNumber), func(d *storage.MFADevice) error {
		d.Tags = removeTags(d.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagMFADeviceOutput{}, nil
}

// ListMFADeviceTags lists a virtual device's tags in the order they were added.
func (s *Service) ListMFADeviceTags(ctx context.Context, in *iamapi.ListMFADeviceTagsRequest) (*iamapi.ListMFADeviceTagsResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var d *storage.MFADevice
	err = s.store.View(ctx, func(tx storage.Tx) error {
		var err error
		d, err = getMFADevice(ctx, tx, sc, str(in.SerialNumber))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags, truncated, marker, err := paginateSlice(d.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := tagsOut(tags)
	if out == nil {
		out = []iamapi.Tag{}
	}
	return &iamapi.ListMFADeviceTagsResponse{Tags: out, IsTruncated: truncated, Marker: marker}, nil
}

// VerifyMFACode reports whether code is a valid code, not used before, of the virtual MFA device serial
// enabled for the user userName of account acct (the account's root user when userName is ""), as STS
// checks SerialNumber and TokenCode. An accepted code's time step is recorded in the same transaction, so
// the code is refused afterwards on every node. Guessing is throttled per device: over the rate it
// returns false and AWS's Throttling error. Other errors are the store's.
func (s *Service) VerifyMFACode(ctx context.Context, acct, userName, serial, code string) (bool, error) {
	if !strings.HasPrefix(serial, "arn:") {
		return false, nil
	}
	partition, _, _ := strings.Cut(serial[len("arn:"):], ":")
	sc := scope{account: acct, partition: partition}
	if _, _, ok := parseMFASerial(sc.partition, acct, serial); !ok || len(code) != 6 {
		return false, nil
	}
	owner := mfaOwner{user: userName, root: userName == ""}
	valid := false
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		valid = false
		d, err := getMFADevice(ctx, tx, sc, serial)
		if errors.As(err, new(*iamapi.NoSuchEntityException)) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.throttleMFA(d); err != nil {
			return err
		}
		if !owner.holds(d) {
			return nil
		}
		secret, err := s.mfaSecret(d)
		if err != nil {
			return err
		}
		cur := mfaStep(s.now()) + d.Drift
		n := mfaMatch(secret, d.LastStep, cur-mfaSkewSteps, cur+mfaSkewSteps, code, "")
		if n < 0 {
			return nil
		}
		d.LastStep, valid = n, true
		return tx.UpdateMFADevice(ctx, d)
	})
	if err != nil {
		return false, err
	}
	return valid, nil
}

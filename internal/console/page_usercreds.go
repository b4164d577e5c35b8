package console

// A user's credentials on the user's page: access keys (create with the secret shown once, activate,
// deactivate, delete, last used) and MFA devices (enrol a virtual device with its QR code, enable it with
// two consecutive codes, deactivate, delete).

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
)

func init() {
	// Sub-pages of a user: the navigation shows Users as the current page.
	register(page{name: "user-credentials", navPath: "/users", routes: func(r *router) {
		r.post("/users/{name}/keys/create", createAccessKey)
		r.post("/users/{name}/keys/update", userAction("keys", updateAccessKey))
		r.post("/users/{name}/keys/delete", userAction("keys", deleteAccessKey))
		r.post("/users/{name}/mfa/create", createMFADevice)
		r.post("/users/{name}/mfa/enable", enableMFADevice)
		r.post("/users/{name}/mfa/deactivate", userAction("mfa", deactivateMFADevice))
		r.post("/users/{name}/mfa/delete", userAction("mfa", deleteMFADevice))
	}})
}

// loadCredentials reads the user's access keys with when each was last used, and its MFA devices.
func loadCredentials(x *exchange, name string, d *userData) error {
	keys, err := call[iamapi.ListAccessKeysResponse](x, "iam", "ListAccessKeys", &iamapi.ListAccessKeysRequest{UserName: ptr(name)})
	if err != nil {
		return err
	}
	for _, k := range keys.AccessKeyMetadata {
		row := accessKeyRow{AccessKeyMetadata: k}
		lu, err := call[iamapi.GetAccessKeyLastUsedResponse](x, "iam", "GetAccessKeyLastUsed", &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: k.AccessKeyId})
		if err != nil {
			return err
		}
		row.LastUsed = lu.AccessKeyLastUsed
		d.Keys = append(d.Keys, row)
	}
	mfa, err := call[iamapi.ListMFADevicesResponse](x, "iam", "ListMFADevices", &iamapi.ListMFADevicesRequest{UserName: ptr(name), MaxItems: ptr(int32(subListMax))})
	if err != nil {
		return err
	}
	d.MFA = mfa.MFADevices
	return nil
}

type keyCreatedData struct {
	User string
	Key  *iamapi.AccessKey
}

// createAccessKey creates a key and shows its secret in this answer only: it is in no URL, no log and no
// later page (the API cannot give it again either).
func createAccessKey(x *exchange) error {
	name := x.r.PathValue("name")
	out, err := call[iamapi.CreateAccessKeyResponse](x, "iam", "CreateAccessKey", &iamapi.CreateAccessKeyRequest{UserName: ptr(name)})
	if err != nil {
		return userFailed(x, name, "keys", err)
	}
	return x.render(http.StatusOK, "access-key-created", "Access key created", &keyCreatedData{User: name, Key: out.AccessKey})
}

func updateAccessKey(x *exchange, user string) (string, error) {
	id, status := x.r.PostForm.Get("id"), x.r.PostForm.Get("status")
	_, err := call[iamapi.UpdateAccessKeyOutput](x, "iam", "UpdateAccessKey", &iamapi.UpdateAccessKeyRequest{UserName: ptr(user), AccessKeyId: ptr(id), Status: ptr(status)})
	return "Access key " + id + " is now " + strings.ToLower(status) + ".", err
}

func deleteAccessKey(x *exchange, user string) (string, error) {
	id := x.r.PostForm.Get("id")
	_, err := call[iamapi.DeleteAccessKeyOutput](x, "iam", "DeleteAccessKey", &iamapi.DeleteAccessKeyRequest{UserName: ptr(user), AccessKeyId: ptr(id)})
	return "Deleted access key " + id + ".", err
}

type mfaEnrolData struct {
	User, Serial string
	// QR is the device's QR code as a data: URL (the CSP allows img-src data:), Seed its Base32 secret:
	// both are shown only in the answer to the enrolment, as AWS's console does.
	QR   template.URL
	Seed string
	Err  *shownError
}

// createMFADevice creates a virtual device and shows its QR code and secret, with the form that enables
// it for the user with two consecutive codes.
func createMFADevice(x *exchange) error {
	name := x.r.PathValue("name")
	dev := strings.TrimSpace(x.r.PostForm.Get("device"))
	out, err := call[iamapi.CreateVirtualMFADeviceResponse](x, "iam", "CreateVirtualMFADevice", &iamapi.CreateVirtualMFADeviceRequest{VirtualMFADeviceName: ptr(dev)})
	if err != nil {
		return userFailed(x, name, "mfa", err)
	}
	v := out.VirtualMFADevice
	return x.render(http.StatusOK, "mfa-enrol", "Set up an MFA device", &mfaEnrolData{User: name, Serial: deref(v.SerialNumber).(string),
		QR:   template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(v.QRCodePNG)),
		Seed: string(v.Base32StringSeed)})
}

// enableMFADevice assigns the device to the user with two consecutive codes. When the codes are refused
// the QR code cannot be shown again (the API gives the seed only once): the page offers to delete the
// unassigned device and start again.
func enableMFADevice(x *exchange) error {
	name, f := x.r.PathValue("name"), x.r.PostForm
	serial := f.Get("serial")
	_, err := call[iamapi.EnableMFADeviceOutput](x, "iam", "EnableMFADevice", &iamapi.EnableMFADeviceRequest{UserName: ptr(name),
		SerialNumber: ptr(serial), AuthenticationCode1: ptr(strings.TrimSpace(f.Get("code1"))), AuthenticationCode2: ptr(strings.TrimSpace(f.Get("code2")))})
	if err != nil {
		se := x.showError(err)
		return x.render(se.Status, "mfa-enrol", "Set up an MFA device", &mfaEnrolData{User: name, Serial: serial, Err: se})
	}
	return x.redirect("/users/" + url.PathEscape(name) + "?done=" + url.QueryEscape("MFA device "+serial+" enabled."))
}

func deactivateMFADevice(x *exchange, user string) (string, error) {
	serial := x.r.PostForm.Get("serial")
	_, err := call[iamapi.DeactivateMFADeviceOutput](x, "iam", "DeactivateMFADevice", &iamapi.DeactivateMFADeviceRequest{UserName: ptr(user), SerialNumber: ptr(serial)})
	return "Deactivated MFA device " + serial + ".", err
}

// deleteMFADevice deletes a virtual device: one the user holds is deactivated first (AWS's console
// "Remove"), one never enabled (an enrolment given up) is deleted as it is.
func deleteMFADevice(x *exchange, user string) (string, error) {
	serial := x.r.PostForm.Get("serial")
	if x.r.PostForm.Get("deactivate") != "" {
		if _, err := call[iamapi.DeactivateMFADeviceOutput](x, "iam", "DeactivateMFADevice", &iamapi.DeactivateMFADeviceRequest{UserName: ptr(user), SerialNumber: ptr(serial)}); err != nil {
			return "", err
		}
	}
	_, err := call[iamapi.DeleteVirtualMFADeviceOutput](x, "iam", "DeleteVirtualMFADevice", &iamapi.DeleteVirtualMFADeviceRequest{SerialNumber: ptr(serial)})
	return "Deleted MFA device " + serial + ".", err
}

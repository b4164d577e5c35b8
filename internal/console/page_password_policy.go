package console

// The account's password policy: GetAccountPasswordPolicy shown in a form that
// UpdateAccountPasswordPolicy saves whole (as the API replaces the policy), DeleteAccountPasswordPolicy
// from a button.

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
)

func init() {
	register(page{name: "password-policy", nav: "Password policy", navPath: "/password-policy", routes: func(r *router) {
		r.get("/password-policy", passwordPolicyPage)
		r.post("/password-policy", updatePasswordPolicy)
		r.post("/password-policy/delete", deletePasswordPolicy)
	}})
}

type passwordPolicyData struct {
	Policy *iamapi.PasswordPolicy
	// None is the API's NoSuchEntity when the account has no policy (IAM's default rules apply).
	None    *shownError
	Err     *shownError
	Changed string
}

func passwordPolicyPage(x *exchange) error {
	return x.renderPasswordPolicy(http.StatusOK, &passwordPolicyData{Changed: x.r.URL.Query().Get("changed")})
}

// renderPasswordPolicy reads the policy as the principal and renders the page with d's outcome.
func (x *exchange) renderPasswordPolicy(status int, d *passwordPolicyData) error {
	out, err := call[iamapi.GetAccountPasswordPolicyResponse](x, "iam", "GetAccountPasswordPolicy", &iamapi.GetAccountPasswordPolicyInput{})
	var ae protocol.APIError
	switch {
	case errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity":
		d.None = x.showError(err)
	case err != nil && d.Err == nil:
		d.Err = x.showError(err)
		status = d.Err.Status
	case err == nil:
		d.Policy = out.PasswordPolicy
	}
	return x.render(status, "password-policy", "Password policy", d)
}

// formInt reads an optional number of the form: nil when empty, a ValidationError naming the field
// (as the API names its members) when not a number.
func formInt(x *exchange, field, member string) (*int32, error) {
	v := strings.TrimSpace(x.r.PostForm.Get(field))
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return nil, &protocol.Error{Code: "ValidationError", Status: http.StatusBadRequest,
			Message: "1 validation error detected: Value '" + v + "' at '" + member + "' failed to satisfy constraint: Member must be a number"}
	}
	return ptr(int32(n)), nil
}

func updatePasswordPolicy(x *exchange) error {
	f := x.r.PostForm
	in := &iamapi.UpdateAccountPasswordPolicyRequest{
		RequireSymbols:             ptr(f.Get("symbols") == "on"),
		RequireNumbers:             ptr(f.Get("numbers") == "on"),
		RequireUppercaseCharacters: ptr(f.Get("uppercase") == "on"),
		RequireLowercaseCharacters: ptr(f.Get("lowercase") == "on"),
		AllowUsersToChangePassword: ptr(f.Get("allow-change") == "on"),
		HardExpiry:                 ptr(f.Get("hard-expiry") == "on"),
	}
	var err error
	if in.MinimumPasswordLength, err = formInt(x, "min-length", "minimumPasswordLength"); err == nil {
		if in.MaxPasswordAge, err = formInt(x, "max-age", "maxPasswordAge"); err == nil {
			in.PasswordReusePrevention, err = formInt(x, "reuse", "passwordReusePrevention")
		}
	}
	if err == nil {
		_, err = x.invoke("iam", "UpdateAccountPasswordPolicy", in)
	}
	if err != nil {
		se := x.showError(err)
		return x.renderPasswordPolicy(se.Status, &passwordPolicyData{Err: se})
	}
	return x.redirect("/password-policy?changed=" + url.QueryEscape("updated"))
}

func deletePasswordPolicy(x *exchange) error {
	if _, err := x.invoke("iam", "DeleteAccountPasswordPolicy", &iamapi.DeleteAccountPasswordPolicyInput{}); err != nil {
		se := x.showError(err)
		return x.renderPasswordPolicy(se.Status, &passwordPolicyData{Err: se})
	}
	return x.redirect("/password-policy?changed=deleted")
}

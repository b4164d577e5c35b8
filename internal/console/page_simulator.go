package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// The policy simulator: SimulatePrincipalPolicy for a user, group or role's policies, or
// SimulateCustomPolicy for a policy pasted in, over actions, resource ARNs and context keys; each
// result's decision and the statements that decided it.
func init() {
	register(page{name: "simulator", nav: "Policy simulator", navPath: "/simulator", routes: func(r *router) {
		r.get("/simulator", simulatorForm)
		r.post("/simulator", simulate)
	}})
}

// simulationMaxItems is the MaxItems of a simulation: the API's largest page, so one answer holds every
// result of a form's worth of actions and resources.
const simulationMaxItems = 1000

type simulatorData struct {
	// The form as typed. Mode is "principal" (SimulatePrincipalPolicy of Principal) or "custom"
	// (SimulateCustomPolicy of Policy).
	Mode, Principal, Policy, Actions, Resources, Context string
	Results                                              []iamapi.EvaluationResult
	Truncated, Ran                                       bool
	Err                                                  *shownError
}

func simulatorForm(x *exchange) error {
	p := x.r.URL.Query().Get("principal")
	if p == "" {
		p = x.caller.ARN
	}
	return x.render(http.StatusOK, "simulator", "Policy simulator", &simulatorData{Mode: "principal", Principal: p, Resources: "*",
		Policy: examplePolicyDocument})
}

// contextEntries reads the context keys of the form, one a line: "name type value[,value…]" (the
// type one of ContextKeyTypeEnum's; the API judges both).
func contextEntries(text string) ([]iamapi.ContextEntry, error) {
	var out []iamapi.ContextEntry
	for i, line := range formLines(text) {
		f := strings.Fields(line)
		if len(f) < 3 {
			return nil, fmt.Errorf("context key line %d: write the key's name, its type and its values separated by commas, such as \"aws:SourceIp ip 203.0.113.7\"", i+1)
		}
		out = append(out, iamapi.ContextEntry{ContextKeyName: &f[0], ContextKeyType: &f[1],
			ContextKeyValues: strings.Split(strings.Join(f[2:], " "), ",")})
	}
	return out, nil
}

func simulate(x *exchange) error {
	pf := x.r.PostForm
	d := &simulatorData{Mode: pf.Get("mode"), Principal: strings.TrimSpace(pf.Get("principal")), Policy: pf.Get("policy"),
		Actions: pf.Get("actions"), Resources: pf.Get("resources"), Context: pf.Get("context")}
	ctxEntries, err := contextEntries(d.Context)
	if err != nil {
		d.Err = &shownError{Code: "InvalidInput", Message: err.Error(), Status: http.StatusBadRequest}
		return x.render(d.Err.Status, "simulator", "Policy simulator", d)
	}
	var out *iamapi.SimulatePolicyResponse
	if d.Mode == "custom" {
		out, err = call[iamapi.SimulatePolicyResponse](x, "iam", "SimulateCustomPolicy", &iamapi.SimulateCustomPolicyRequest{
			PolicyInputList: []string{d.Policy}, ActionNames: formLines(d.Actions), ResourceArns: formLines(d.Resources),
			ContextEntries: ctxEntries, MaxItems: ptr(int32(simulationMaxItems))})
	} else {
		d.Mode = "principal"
		out, err = call[iamapi.SimulatePolicyResponse](x, "iam", "SimulatePrincipalPolicy", &iamapi.SimulatePrincipalPolicyRequest{
			PolicySourceArn: &d.Principal, ActionNames: formLines(d.Actions), ResourceArns: formLines(d.Resources),
			ContextEntries: ctxEntries, MaxItems: ptr(int32(simulationMaxItems))})
	}
	if err != nil {
		d.Err = x.showError(err)
		return x.render(d.Err.Status, "simulator", "Policy simulator", d)
	}
	d.Ran, d.Results, d.Truncated = true, out.EvaluationResults, out.IsTruncated != nil && *out.IsTruncated
	return x.render(http.StatusOK, "simulator", "Policy simulator", d)
}

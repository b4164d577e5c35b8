package iam

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// summarizeDelegation renders a delegation request's permissions as English for the customer who reviews
// it. AWS's GetHumanReadableSummary asks a large language model for this text; iamd instead walks the
// request's permission policy and writes one paragraph per statement (its effect, its actions grouped by
// service, its resources and its conditions), so the same request always gets the same summary and the
// summary says exactly what the policy grants. The output is bounded by the model's 10,000 characters.
func summarizeDelegation(d *delegationRequest) (string, error) {
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(d.PermissionPolicy), &doc); err != nil {
		return "", err
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return "", err
		}
		stmts = []map[string]json.RawMessage{one}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Account %s requests temporary access to your account", d.RequestorID)
	if d.SessionDuration > 0 {
		fmt.Fprintf(&b, " for %s after you send the delegation token", durationWords(int(d.SessionDuration)))
	}
	b.WriteString(".\n")
	for _, st := range stmts {
		b.WriteString("\n")
		summarizeStatement(&b, st)
	}
	out := b.String()
	if len(out) > maxSummaryLength {
		out = out[:maxSummaryLength-len(summaryCut)] + summaryCut
	}
	return out, nil
}

// maxSummaryLength is the model's summaryContentType maximum.
const maxSummaryLength = 10000

const summaryCut = "\n(summary shortened)"

func durationWords(sec int) string {
	h, m := sec/3600, sec%3600/60
	var parts []string
	if h > 0 {
		parts = append(parts, plural(h, "hour"))
	}
	if m > 0 {
		parts = append(parts, plural(m, "minute"))
	}
	if len(parts) == 0 {
		return plural(sec, "second")
	}
	return strings.Join(parts, " and ")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// stringsOf reads a policy element that is a string or a list of strings.
func stringsOf(raw json.RawMessage) []string {
	if raw == nil {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many) // the policy was validated when the request was created
	return many
}

func summarizeStatement(b *strings.Builder, st map[string]json.RawMessage) {
	effect := strings.Join(stringsOf(st["Effect"]), "")
	if effect == "Deny" {
		b.WriteString("- Denies ")
	} else {
		b.WriteString("- Allows ")
	}
	if acts := stringsOf(st["NotAction"]); len(acts) > 0 {
		b.WriteString("every action except ")
		b.WriteString(actionsBySystem(acts))
	} else {
		b.WriteString(actionsBySystem(stringsOf(st["Action"])))
	}
	if res := stringsOf(st["NotResource"]); len(res) > 0 {
		b.WriteString(" on every resource except " + orList(res))
	} else if res := stringsOf(st["Resource"]); slices.Contains(res, "*") {
		b.WriteString(" on all resources")
	} else if len(res) > 0 {
		b.WriteString(" on " + orList(res))
	}
	if c := conditionWords(st["Condition"]); c != "" {
		b.WriteString(", only when " + c)
	}
	b.WriteString(".\n")
}

// actionsBySystem groups actions by service: "s3 actions GetObject and ListBucket; all ec2 actions".
func actionsBySystem(actions []string) string {
	if slices.Contains(actions, "*") {
		return "all actions of every service"
	}
	by := map[string][]string{}
	for _, a := range actions {
		svc, name, ok := strings.Cut(a, ":")
		if !ok {
			svc, name = a, "*"
		}
		svc = strings.ToLower(svc)
		by[svc] = append(by[svc], name)
	}
	svcs := make([]string, 0, len(by))
	for s := range by {
		svcs = append(svcs, s)
	}
	slices.Sort(svcs)
	parts := make([]string, 0, len(svcs))
	for _, s := range svcs {
		names := by[s]
		slices.Sort(names)
		names = slices.Compact(names)
		if slices.Contains(names, "*") {
			parts = append(parts, "all "+s+" actions")
			continue
		}
		word := "action"
		if len(names) > 1 {
			word = "actions"
		}
		parts = append(parts, s+" "+word+" "+andList(names))
	}
	return strings.Join(parts, "; ")
}

// conditionWords renders a Condition block: "aws:SourceIp matches (IpAddress) 10.0.0.0/8 and …".
func conditionWords(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var c map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	ops := make([]string, 0, len(c))
	for op := range c {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	var parts []string
	for _, op := range ops {
		keys := make([]string, 0, len(c[op]))
		for k := range c[op] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			vals := stringsOf(c[op][k])
			if len(vals) == 0 { // a bool or number value
				vals = []string{strings.Trim(string(c[op][k]), `"`)}
			}
			parts = append(parts, fmt.Sprintf("%s satisfies %s %s", k, op, orList(vals)))
		}
	}
	return strings.Join(parts, " and ")
}

func andList(xs []string) string { return joinWords(xs, "and") }
func orList(xs []string) string  { return joinWords(xs, "or") }

func joinWords(xs []string, conj string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	case 2:
		return xs[0] + " " + conj + " " + xs[1]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + ", " + conj + " " + xs[len(xs)-1]
}

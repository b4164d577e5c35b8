package policy

import "strings"

// AccessDeniedMessage words an AccessDenied error the way AWS does today:
//
//	User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateUser on resource:
//	arn:aws:iam::123456789012:user/alice because no identity-based policy allows the iam:CreateUser action
//
// and for explicit denies "… with an explicit deny in an identity-based policy", followed by
// ": POLICY-ARN" when the denying policy is a managed policy (AWS adds the ARN of the denying policy for
// same-account requests). resource may be empty, and the " on resource: …" part is then left out.
func AccessDeniedMessage(callerARN, action, resource string, d *Decision) string {
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(callerARN)
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(action)
	if resource != "" {
		b.WriteString(" on resource: ")
		b.WriteString(resource)
	}
	r := d.Reason
	if r == ReasonNone {
		return b.String()
	}
	t := r.PolicyType()
	if r.Explicit() {
		b.WriteString(" with an explicit deny in ")
		b.WriteString(article(t))
		b.WriteByte(' ')
		b.WriteString(t.String())
		if d.Denying != nil && d.Denying.ARN != "" {
			b.WriteString(": ")
			b.WriteString(d.Denying.ARN)
		}
		return b.String()
	}
	b.WriteString(" because no ")
	b.WriteString(t.String())
	b.WriteString(" allows the ")
	b.WriteString(action)
	b.WriteString(" action")
	return b.String()
}

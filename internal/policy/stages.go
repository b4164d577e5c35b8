package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/iamd/iamd/internal/regions"
)

// The stages of Parse after the syntax stage, in IAM's order. Each returns the stage's MalformedError.

// legacy is the stage IAM calls legacy parsing: Effect exactly "Allow" or "Deny", Date condition values
// that parse, resource ARNs with enough parts. It also finds the first resource format error
// (d.resourceErr), which IAM reports later; a statement's resources get the legacy checks only while no
// format error has been found.
func (d *document) legacy() error {
	for _, st := range d.statements {
		if st.effect != "Allow" && st.effect != "Deny" {
			return malformed(msgLegacy)
		}
		if st.condition != nil && !legacyDates(st.condition) {
			return malformed(msgLegacy)
		}
	}
	// IAM checks every Resource element, then every NotResource element, and the values of one element
	// as a sorted set: of several malformed values, the lowest is reported.
	for _, not := range []bool{false, true} {
		for _, st := range d.statements {
			if st.resources == nil || st.notResource != not || d.resourceErr != "" {
				continue
			}
			lowest := ""
			for _, r := range st.resourceList {
				if msg := resourceFormatError(r); msg != "" && (d.resourceErr == "" || r < lowest) {
					d.resourceErr, lowest = msg, r
				}
			}
			if d.resourceErr != "" {
				continue
			}
			for _, r := range st.resourceList {
				if !legacyResource(r) {
					return malformed(msgLegacy)
				}
			}
		}
	}
	return nil
}

// legacyResource reports whether an ARN that passed the format checks has the parts the legacy parser
// wants: an ARN with an empty part has all six, and the service is never empty.
func legacyResource(r string) bool {
	if r == "*" {
		return true
	}
	if strings.Contains(r, "::") && strings.Count(r, ":") < 5 {
		return false
	}
	f := strings.SplitN(r, ":", 4)
	return len(f) > 2 && f[2] != ""
}

// legacyDates checks the values of the Date operators of a Condition element.
func legacyDates(cond *jsonNode) bool {
	for i, opName := range cond.keys {
		op, _, _, known := parseOperator(opName)
		if !known || op.base != opDate {
			continue
		}
		for _, v := range cond.vals[i].vals {
			vals := []*jsonNode{v}
			if v.kind == jArray {
				vals = v.vals
			}
			for _, x := range vals {
				if x.kind == jBool || !legacyDate(x.str) {
					return false
				}
			}
		}
	}
	return true
}

// legacyDate reports whether the legacy parser reads s as a date: epoch seconds (0 to 2^63-1), or an
// ISO 8601 date and time when s has a T or a dash.
func legacyDate(s string) bool {
	if !strings.ContainsAny(s, "tT-") {
		n, err := strconv.ParseInt(s, 10, 64)
		return err == nil && n >= 0
	}
	s = strings.ToLower(s)
	date, clock, _ := strings.Cut(s, "t")
	neg := strings.HasPrefix(date, "-")
	if neg {
		date = date[1:]
	}
	dp := strings.Split(date, "-")
	if len(dp) > 3 {
		return false
	}
	year, ok := number(dp[0])
	if neg {
		year = -year
	}
	if !ok || year < -292275054 || year > 292278993 {
		return false
	}
	if len(dp) > 1 && !inRange(dp[1], 1, 12) || len(dp) > 2 && !inRange(dp[2], 1, 31) {
		return false
	}
	tp := strings.Split(clock, ":")
	if tp[0] != "" && !inRange(tp[0], 0, 23) || len(tp) > 1 && !inRange(tp[1], 0, 59) {
		return false
	}
	if len(tp) < 3 {
		return true
	}
	sec := tp[2]
	if before, after, found := strings.Cut(sec, "z"); found {
		if after != "" {
			return false
		}
		sec = before
	} else if i := strings.IndexAny(sec, "+-"); i >= 0 {
		// A time zone offset: two digits of hours (its minutes come after the next colon).
		if tz := sec[i+1:]; len(tz) != 2 || !inRange(tz, 0, 23) {
			return false
		}
		sec = sec[:i]
	}
	whole, frac, hasFrac := strings.Cut(sec, ".")
	return inRange(whole, 0, 59) && (!hasFrac || inRange(frac, 0, 999999999))
}

// number parses a non-empty run of ASCII digits.
func number(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func inRange(s string, lo, hi int64) bool {
	n, ok := number(s)
	return ok && n >= lo && n <= hi
}

// iamResourcePrefixes are the resource types an IAM ARN in a policy may name.
var iamResourcePrefixes = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
	"server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"}

// resourceFormatError returns IAM's message for a Resource or NotResource value it refuses, or "".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, rest, ok := strings.Cut(r, ":")
	if !ok {
		return fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if _, known := regions.Partition(partition); partition != "*" && !known {
		// IAM shows the resource as the six parts it read, "*" for the missing ones.
		f := strings.Split(rest, ":")
		part := func(i int) string {
			if i < len(f) && (i > 0 || f[0] != "" || len(f) > 1) {
				if i == 3 {
					return strings.Join(f[3:], ":")
				}
				return f[i]
			}
			return "*"
		}
		return fmt.Sprintf("Partition %q is not valid for resource \"arn:%s:%s:%s:%s:%s\".",
			partition, partition, part(0), part(1), part(2), part(3))
	}
	if !ok {
		return msgResourceVendor
	}
	service, afterService, _ := strings.Cut(rest, ":")
	_, afterRegion, _ := strings.Cut(afterService, ":")
	_, resource, _ := strings.Cut(afterRegion, ":")
	regional := !strings.HasPrefix(afterService, ":")
	switch service {
	case "iam":
		if regional {
			return fmt.Sprintf("IAM resource %s cannot contain region information.", r)
		}
		if resource != "*" && !slices.ContainsFunc(iamResourcePrefixes, func(p string) bool { return strings.HasPrefix(resource, p) }) {
			return `IAM resource path must either be "*" or start with ` + strings.Join(iamResourcePrefixes, ", ") + "."
		}
	case "s3":
		// S3 access points are regional.
		if regional && !strings.HasPrefix(resource, "accesspoint/") {
			return fmt.Sprintf("Resource %s can not contain region information.", r)
		}
	}
	return ""
}

// statementIDs checks that statement IDs are alphanumeric and that no two statements share one.
func (d *document) statementIDs() error {
	for _, st := range d.statements {
		if st.hasSid && !isAlnum(st.sid) {
			return malformed(msgSidAlnum)
		}
	}
	seen := make(map[string]bool, len(d.statements))
	for _, st := range d.statements {
		if st.sid == "" {
			continue
		}
		if seen[st.sid] {
			return malformed(msgSidUnique)
		}
		seen[st.sid] = true
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// actionVendors checks that every action is "*" or VENDOR:ACTION, IAM checking every Action element,
// then every NotAction element.
func (d *document) actionVendors() error {
	for _, not := range []bool{false, true} {
		for _, st := range d.statements {
			if st.notAction != not {
				continue
			}
			for _, a := range st.actionList {
				if err := checkActionVendor(a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkActionVendor checks one action: a vendor of letters, digits, dashes and dots (or "*"), one colon.
// The action's name is not checked.
func checkActionVendor(a string) error {
	vendor, _, found := strings.Cut(a, ":")
	switch {
	case !found && a != "*":
		return malformed(msgVendor)
	case strings.Count(a, ":") > 1:
		return malformed(msgOneColon)
	case vendor == "*":
		return nil
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return malformed(fmt.Sprintf("Vendor %s is not valid", vendor))
		}
	}
	return nil
}

// kindRules applies the rules of the document's kind: no principal in identity-based policies; in trust
// and resource-based policies a principal in every statement, naming principals; in trust policies only
// STS actions and no Resource.
func (d *document) kindRules(kind Kind) error {
	for _, st := range d.statements {
		if kind.identityBased() {
			if st.principals != nil {
				return malformed(msgNoPrincipalAllowed)
			}
			continue
		}
		if st.principals == nil {
			return malformed(msgNoPrincipals)
		}
		ps, err := compilePrincipals(st.principals)
		if err != nil {
			return err
		}
		st.ps = ps
	}
	if kind != KindTrust {
		return nil
	}
	for _, st := range d.statements {
		if st.notAction {
			continue
		}
		for _, a := range st.actionList {
			if a != "*" && !(len(a) > 4 && equalFoldASCII(a[:4], "sts:")) {
				return malformed(msgTrustActions)
			}
		}
	}
	for _, st := range d.statements {
		switch {
		case st.resources != nil && st.notResource:
			return malformed(msgNotResourceProhib)
		case st.resources != nil:
			return malformed(msgResourceProhibited)
		}
	}
	return nil
}

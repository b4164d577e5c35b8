package iam

import (
	"strconv"
	"strings"
)

// AWS's default password policy, applied when the account has none: at least 8 characters and at least
// three of the four character classes (IAM User Guide, "Default password policy").
const (
	defaultMinPasswordLength     = 8
	defaultRequiredCharClasses   = 3
	defaultPolicyMinLengthNoRule = 6 // MinimumPasswordLength reported when a policy is set without one
)

// passwordSymbols are the characters AWS counts as symbols for RequireSymbols.
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

// passwordRules is the part of a password policy that constrains a new password.
type passwordRules struct {
	minLength                      int
	symbols, numbers, upper, lower bool
}

// passwordClasses reports which character classes pw uses.
func passwordClasses(pw string) (upper, lower, number, symbol bool) {
	for _, r := range pw {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			number = true
		case strings.ContainsRune(passwordSymbols, r):
			symbol = true
		}
	}
	return
}

// violation returns AWS's PasswordPolicyViolation message for the first rule pw breaks, or "".
func (p passwordRules) violation(pw string) string {
	if len([]rune(pw)) < p.minLength {
		return "Password should have a minimum length of " + strconv.Itoa(p.minLength)
	}
	upper, lower, number, symbol := passwordClasses(pw)
	switch {
	case p.upper && !upper:
		return "Password should have at least one uppercase letter"
	case p.lower && !lower:
		return "Password should have at least one lowercase letter"
	case p.numbers && !number:
		return "Password should have at least one number"
	case p.symbols && !symbol:
		return "Password should have at least one symbol"
	}
	return ""
}

// defaultViolation checks pw against AWS's default policy (used when the account has no policy).
func defaultViolation(pw string) string {
	if len([]rune(pw)) < defaultMinPasswordLength {
		return "Password should have a minimum length of " + strconv.Itoa(defaultMinPasswordLength)
	}
	upper, lower, number, symbol := passwordClasses(pw)
	n := 0
	for _, b := range []bool{upper, lower, number, symbol} {
		if b {
			n++
		}
	}
	if n < defaultRequiredCharClasses {
		return "Password should include at least three of the following character types: uppercase letters, lowercase letters, numbers, and symbols"
	}
	return ""
}

package storage

import "time"

// AlternateContact is one of an account's alternate contacts (Account API).
type AlternateContact struct {
	Name, Title, EmailAddress, PhoneNumber string
}

// ContactInformation is an account's primary contact (Account API). Empty strings are unset members.
type ContactInformation struct {
	FullName, AddressLine1, AddressLine2, AddressLine3, City, StateOrRegion, DistrictOrCounty string
	PostalCode, CountryCode, PhoneNumber, CompanyName, WebsiteURL                             string
}

// PendingEmailUpdate is a primary e-mail change StartPrimaryEmailUpdate began. The one-time code is kept
// sealed with the master key (bound to the account and the new address), never in the clear.
type PendingEmailUpdate struct {
	Email      string
	SealedCode []byte
	Expires    time.Time
	// Attempts counts wrong codes; the update is dropped when it reaches the service's limit.
	Attempts int
}

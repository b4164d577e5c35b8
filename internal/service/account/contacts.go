package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/storage"
)

// errNoAlternateContact is AWS's answer to reading or deleting an alternate contact type the account has
// not set (GetAlternateContact, DeleteAlternateContact).
func errNoAlternateContact() error {
	return accountapi.NewResourceNotFoundException("No contact of the inputted alternate contact type found.")
}

// update runs change on the target account's row in one write transaction.
func (s *Service) update(ctx context.Context, acct, action string, change func(*storage.Account) error) error {
	err := s.o.Store.Update(ctx, func(tx storage.Tx) error {
		a, err := tx.GetAccount(ctx, acct)
		if err != nil {
			return err
		}
		if err := change(a); err != nil {
			return err
		}
		return tx.UpdateAccount(ctx, a)
	})
	var api protocol.APIError
	if err != nil && !errors.As(err, &api) {
		return fmt.Errorf("%s on account %s: %w", action, acct, err)
	}
	return err
}

// PutAlternateContact sets (or replaces) one of the account's alternate contacts.
func (s *Service) PutAlternateContact(ctx context.Context, in *accountapi.PutAlternateContactRequest) (*accountapi.PutAlternateContactOutput, error) {
	acct, err := target(ctx, in.AccountId, "PutAlternateContact")
	if err != nil {
		return nil, err
	}
	c := storage.AlternateContact{
		Name: protocol.ToString(in.Name), Title: protocol.ToString(in.Title),
		EmailAddress: protocol.ToString(in.EmailAddress), PhoneNumber: protocol.ToString(in.PhoneNumber),
	}
	err = s.update(ctx, acct, "PutAlternateContact", func(a *storage.Account) error {
		if a.AlternateContacts == nil {
			a.AlternateContacts = map[string]storage.AlternateContact{}
		}
		a.AlternateContacts[protocol.ToString(in.AlternateContactType)] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &accountapi.PutAlternateContactOutput{}, nil
}

// GetAlternateContact returns one of the account's alternate contacts.
func (s *Service) GetAlternateContact(ctx context.Context, in *accountapi.GetAlternateContactRequest) (*accountapi.GetAlternateContactResponse, error) {
	acct, err := target(ctx, in.AccountId, "GetAlternateContact")
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, acct)
	if err != nil {
		return nil, err
	}
	typ := protocol.ToString(in.AlternateContactType)
	c, ok := a.AlternateContacts[typ]
	if !ok {
		return nil, errNoAlternateContact()
	}
	return &accountapi.GetAlternateContactResponse{AlternateContact: &accountapi.AlternateContact{
		AlternateContactType: protocol.String(typ),
		Name:                 protocol.String(c.Name),
		Title:                protocol.String(c.Title),
		EmailAddress:         protocol.String(c.EmailAddress),
		PhoneNumber:          protocol.String(c.PhoneNumber),
	}}, nil
}

// DeleteAlternateContact removes one of the account's alternate contacts.
func (s *Service) DeleteAlternateContact(ctx context.Context, in *accountapi.DeleteAlternateContactRequest) (*accountapi.DeleteAlternateContactOutput, error) {
	acct, err := target(ctx, in.AccountId, "DeleteAlternateContact")
	if err != nil {
		return nil, err
	}
	typ := protocol.ToString(in.AlternateContactType)
	err = s.update(ctx, acct, "DeleteAlternateContact", func(a *storage.Account) error {
		if _, ok := a.AlternateContacts[typ]; !ok {
			return errNoAlternateContact()
		}
		delete(a.AlternateContacts, typ)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &accountapi.DeleteAlternateContactOutput{}, nil
}

// PutContactInformation replaces the account's primary contact information.
func (s *Service) PutContactInformation(ctx context.Context, in *accountapi.PutContactInformationRequest) (*accountapi.PutContactInformationOutput, error) {
	acct, err := target(ctx, in.AccountId, "PutContactInformation")
	if err != nil {
		return nil, err
	}
	ci := in.ContactInformation
	if ci == nil { // the model requires it; validation has refused its absence already
		return nil, validation(reasonFieldValidationFailed, "ContactInformation is required.", "ContactInformation")
	}
	c := &storage.ContactInformation{
		FullName: protocol.ToString(ci.FullName), AddressLine1: protocol.ToString(ci.AddressLine1),
		AddressLine2: protocol.ToString(ci.AddressLine2), AddressLine3: protocol.ToString(ci.AddressLine3),
		City: protocol.ToString(ci.City), StateOrRegion: protocol.ToString(ci.StateOrRegion),
		DistrictOrCounty: protocol.ToString(ci.DistrictOrCounty), PostalCode: protocol.ToString(ci.PostalCode),
		CountryCode: protocol.ToString(ci.CountryCode), PhoneNumber: protocol.ToString(ci.PhoneNumber),
		CompanyName: protocol.ToString(ci.CompanyName), WebsiteURL: protocol.ToString(ci.WebsiteUrl),
	}
	err = s.update(ctx, acct, "PutContactInformation", func(a *storage.Account) error {
		a.ContactInformation = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &accountapi.PutContactInformationOutput{}, nil
}

// GetContactInformation returns the account's primary contact information. An account of AWS always has
// one (sign-up asks for it); an iamd account has none until PutContactInformation, and is answered
// ResourceNotFoundException meanwhile.
func (s *Service) GetContactInformation(ctx context.Context, in *accountapi.GetContactInformationRequest) (*accountapi.GetContactInformationResponse, error) {
	acct, err := target(ctx, in.AccountId, "GetContactInformation")
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, acct)
	if err != nil {
		return nil, err
	}
	c := a.ContactInformation
	if c == nil {
		return nil, accountapi.NewResourceNotFoundException("No contact information found for this account.")
	}
	return &accountapi.GetContactInformationResponse{ContactInformation: &accountapi.ContactInformation{
		FullName: optional(c.FullName), AddressLine1: optional(c.AddressLine1), AddressLine2: optional(c.AddressLine2),
		AddressLine3: optional(c.AddressLine3), City: optional(c.City), StateOrRegion: optional(c.StateOrRegion),
		DistrictOrCounty: optional(c.DistrictOrCounty), PostalCode: optional(c.PostalCode),
		CountryCode: optional(c.CountryCode), PhoneNumber: optional(c.PhoneNumber),
		CompanyName: optional(c.CompanyName), WebsiteUrl: optional(c.WebsiteURL),
	}}, nil
}

// optional returns nil for an unset (empty) member, so it is left out of the answer.
func optional(v string) *string {
	if v == "" {
		return nil
	}
	return protocol.String(v)
}

// GetAccountInformation returns the account's ID, name, creation date and state.
func (s *Service) GetAccountInformation(ctx context.Context, in *accountapi.GetAccountInformationRequest) (*accountapi.GetAccountInformationResponse, error) {
	acct, err := target(ctx, in.AccountId, "GetAccountInformation")
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, acct)
	if err != nil {
		return nil, err
	}
	created := a.CreatedAt.UTC()
	return &accountapi.GetAccountInformationResponse{
		AccountId:          protocol.String(a.ID),
		AccountName:        optional(a.Name),
		AccountCreatedDate: &created,
		AccountState:       protocol.String(accountapi.AccountStateActive),
	}, nil
}

// PutAccountName renames the account.
func (s *Service) PutAccountName(ctx context.Context, in *accountapi.PutAccountNameRequest) (*accountapi.PutAccountNameOutput, error) {
	acct, err := target(ctx, in.AccountId, "PutAccountName")
	if err != nil {
		return nil, err
	}
	name := protocol.ToString(in.AccountName)
	err = s.update(ctx, acct, "PutAccountName", func(a *storage.Account) error {
		a.Name = name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &accountapi.PutAccountNameOutput{}, nil
}

// GetGovCloudAccountInformation answers as AWS answers a standard account with no linked GovCloud
// account: iamd never links one.
func (s *Service) GetGovCloudAccountInformation(ctx context.Context, in *accountapi.GetGovCloudAccountInformationRequest) (*accountapi.GetGovCloudAccountInformationResponse, error) {
	if _, err := target(ctx, in.StandardAccountId, "GetGovCloudAccountInformation"); err != nil {
		return nil, err
	}
	return nil, accountapi.NewResourceNotFoundException("The GovCloud account linked to this account was not found.")
}

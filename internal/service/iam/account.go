package iam

import (
	"context"
	"errors"
	"slices"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

// Credential report states and descriptions as GenerateCredentialReport returns them.
const (
	reportStateStarted    = "STARTED"
	reportStateInProgress = "INPROGRESS"
	reportStateComplete   = "COMPLETE"
	reportDescStarted     = "No report exists. Starting a new report generation task"
)

// CreateAccountAlias sets the account's alias. An account has at most one: a new alias replaces the old
// one, as the IAM console and API do. Aliases are unique across all accounts.
func (s *Service) CreateAccountAlias(ctx context.Context, in *iamapi.CreateAccountAliasRequest) (*iamapi.CreateAccountAliasOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	alias := str(in.AccountAlias)
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		other, err := tx.GetAccountByAlias(ctx, alias)
		switch {
		case err == nil && other.ID == sc.account:
			return nil // already this account's alias
		case err == nil:
			return aliasTaken(alias)
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
		a, err := tx.GetAccount(ctx, sc.account)
		if err != nil {
			return err
		}
		a.Aliases = []string{alias}
		err = tx.UpdateAccount(ctx, a)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return aliasTaken(alias) // taken concurrently
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateAccountAliasOutput{}, nil
}

func aliasTaken(alias string) error {
	return iamapi.NewEntityAlreadyExistsException("The account alias " + alias + " already exists.")
}

// DeleteAccountAlias removes the account's alias.
func (s *Service) DeleteAccountAlias(ctx context.Context, in *iamapi.DeleteAccountAliasRequest) (*iamapi.DeleteAccountAliasOutput, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	alias := str(in.AccountAlias)
	err = s.updateAccount(ctx, sc, func(a *storage.Account) error {
		i := slices.Index(a.Aliases, alias)
		if i < 0 {
			return iamapi.NewNoSuchEntityException("The account alias " + alias + " cannot be found.")
		}
		a.Aliases = slices.Delete(slices.Clone(a.Aliases), i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteAccountAliasOutput{}, nil
}

// ListAccountAliases lists the account's alias (zero or one).
func (s *Service) ListAccountAliases(ctx context.Context, in *iamapi.ListAccountAliasesRequest) (*iamapi.ListAccountAliasesResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, sc)
	if err != nil {
		return nil, err
	}
	aliases, truncated, marker, err := paginateSlice(a.Aliases, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	if aliases == nil {
		aliases = []string{}
	}
	return &iamapi.ListAccountAliasesResponse{AccountAliases: aliases, IsTruncated: truncated, Marker: marker}, nil
}

// GenerateCredentialReport builds the account's credential report unless one younger than
// reportMinInterval exists (COMPLETE) or another request is building it (INPROGRESS): an account's report
// is built once at a time, however many callers ask. The first call answers STARTED, as AWS does, though
// the report is built before it returns, so a client polling Generate (or Get) finds it at once.
func (s *Service) GenerateCredentialReport(ctx context.Context, _ *iamapi.GenerateCredentialReportInput) (*iamapi.GenerateCredentialReportResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	claimed, state := s.reports.start(sc.account, sc.now, reportMinInterval)
	if !claimed {
		return &iamapi.GenerateCredentialReportResponse{State: ptr(state)}, nil
	}
	var rep *credentialReport
	defer func() { s.reports.finish(sc.account, rep) }()
	content, err := s.credentialReport(ctx, sc)
	if err != nil {
		return nil, err
	}
	rep = &credentialReport{generated: sc.now, content: content}
	return &iamapi.GenerateCredentialReportResponse{State: ptr(reportStateStarted), Description: ptr(reportDescStarted)}, nil
}

// GetCredentialReport returns the latest credential report; while a new one is being built and the
// latest has expired (or there is none), it answers ReportInProgress.
func (s *Service) GetCredentialReport(ctx context.Context, _ *iamapi.GetCredentialReportInput) (*iamapi.GetCredentialReportResponse, error) {
	sc, err := s.scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	rep, building := s.reports.get(sc.account)
	fresh := rep != nil && sc.now.Sub(rep.generated) < reportMaxAge
	switch {
	case !fresh && building:
		return nil, iamapi.NewCredentialReportNotReadyException("The credential report is still being generated.")
	case rep == nil:
		return nil, iamapi.NewCredentialReportNotPresentException("Credential report not present. Use GenerateCredentialReport to generate a report.")
	case !fresh:
		return nil, iamapi.NewCredentialReportExpiredException("Credential report has expired. Use GenerateCredentialReport to generate a new report.")
	}
	return &iamapi.GetCredentialReportResponse{
		Content:       rep.content,
		ReportFormat:  ptr(reportFormat),
		GeneratedTime: timePtr(rep.generated),
	}, nil
}

// credentialReport reads every user and credential of the account in one snapshot and renders the CSV.
func (s *Service) credentialReport(ctx context.Context, sc scope) ([]byte, error) {
	// Key uses are written behind and the report reads them from the store: write what is pending first.
	if err := s.FlushUses(ctx); err != nil {
		s.log.WarnContext(ctx, "writing pending key uses before a credential report", "err", err)
	}
	var (
		rows   []reportRow
		maxAge int
	)
	err := s.store.View(ctx, func(tx storage.Tx) error {
		rows = rows[:0]
		a, err := tx.GetAccount(ctx, sc.account)
		if err != nil {
			return err
		}
		if a.PasswordPolicy != nil {
			maxAge = a.PasswordPolicy.MaxPasswordAge
		}
		root := reportRow{root: true, name: rootRowName, arn: sc.rootARN(), created: a.CreatedAt}
		if err := fillCredentials(ctx, tx, sc.account, "", &root); err != nil {
			return err
		}
		rootMFA, err := tx.ListMFADevices(ctx, sc.account, storage.MFAFilter{Root: true}, storage.ListOptions{Limit: 1})
		if err != nil {
			return err
		}
		root.mfaActive = len(rootMFA) > 0
		rows = append(rows, root)

		// Users in pages so the snapshot never holds more than one page of users beyond the rows.
		after := ""
		for {
			users, err := tx.ListUsers(ctx, sc.account, storage.ListOptions{After: after, Limit: maxMaxItems})
			if err != nil {
				return err
			}
			for _, u := range users {
				r := reportRow{name: u.Name, arn: sc.userARN(u.Path, u.Name), created: u.CreatedAt, passwordLastUsed: u.PasswordLastUsed}
				p, err := tx.GetLoginProfile(ctx, sc.account, u.Name)
				switch {
				case err == nil:
					r.hasPassword = true
					r.passwordChanged = p.PasswordSetAt()
				case !errors.Is(err, storage.ErrNotFound):
					return err
				}
				mfa, err := tx.ListMFADevices(ctx, sc.account, storage.MFAFilter{UserName: u.Name}, storage.ListOptions{Limit: 1})
				if err != nil {
					return err
				}
				r.mfaActive = len(mfa) > 0
				if err := fillCredentials(ctx, tx, sc.account, u.Name, &r); err != nil {
					return err
				}
				rows = append(rows, r)
			}
			if len(users) < maxMaxItems {
				return nil
			}
			after = users[len(users)-1].Name
		}
	})
	if err != nil {
		return nil, err
	}
	return buildCredentialReport(rows, maxAge)
}

// fillCredentials adds a principal's access keys and signing certificates to its report row.
func fillCredentials(ctx context.Context, tx storage.Tx, acct, user string, r *reportRow) error {
	keys, err := listKeys(ctx, tx, acct, user)
	if err != nil {
		return err
	}
	for _, k := range keys {
		r.keys = append(r.keys, reportKey{
			active:   k.Status == storage.StatusActive,
			created:  k.CreatedAt,
			lastUsed: k.LastUsed.Date,
			region:   k.LastUsed.Region,
			service:  k.LastUsed.Service,
		})
	}
	certs, err := listUserCredentials(ctx, tx, acct, storage.CredentialSigningCertificate, user)
	if err != nil {
		return err
	}
	for _, c := range certs {
		r.certs = append(r.certs, reportCert{active: c.Status == storage.StatusActive, created: c.CreatedAt})
	}
	return nil
}

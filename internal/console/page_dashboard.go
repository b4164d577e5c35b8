package console

// The dashboard, the console's home page, as AWS's IAM dashboard: who is signed in, the account's alias,
// GetAccountSummary's entity counts and quotas, and the security recommendations (root MFA, root access
// keys, IAM users without MFA, active access keys older than 90 days). The recommendations about IAM
// users come from the credential report, the one API answer that holds every user's credentials (one
// call, not one per user); without a current report the page offers to generate one. Each part is read
// separately as the principal, so a principal allowed some of them sees those.

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/api/stsapi"
)

func init() {
	register(page{name: "dashboard", nav: "Dashboard", navPath: "/", routes: func(r *router) {
		r.get("/{$}", dashboard)
	}})
}

const (
	// oldKeyAge is the age past which an active access key is reported for rotation: AWS's security
	// best practices recommend rotating access keys every 90 days (AWS Security Hub, control IAM.3 "IAM
	// users' access keys should be rotated every 90 days or less").
	oldKeyAge = 90 * 24 * time.Hour
	// recommendationNames bounds the user names a recommendation lists (the count says how many more).
	recommendationNames = 10
)

// summaryCounts are GetAccountSummary's entity counts the dashboard shows, with their quota's key ("" for
// none), in AWS's dashboard's order.
var summaryCounts = []struct{ Title, Key, Quota string }{
	{"Users", iamapi.SummaryKeyTypeUsers, iamapi.SummaryKeyTypeUsersQuota},
	{"User groups", iamapi.SummaryKeyTypeGroups, iamapi.SummaryKeyTypeGroupsQuota},
	{"Roles", iamapi.SummaryKeyTypeRoles, iamapi.SummaryKeyTypeRolesQuota},
	{"Customer managed policies", iamapi.SummaryKeyTypePolicies, iamapi.SummaryKeyTypePoliciesQuota},
	{"Identity providers", iamapi.SummaryKeyTypeProviders, ""},
	{"Instance profiles", iamapi.SummaryKeyTypeInstanceProfiles, iamapi.SummaryKeyTypeInstanceProfilesQuota},
	{"Server certificates", iamapi.SummaryKeyTypeServerCertificates, iamapi.SummaryKeyTypeServerCertificatesQuota},
	{"MFA devices", iamapi.SummaryKeyTypeMFADevices, ""},
	{"MFA devices in use", iamapi.SummaryKeyTypeMFADevicesInUse, ""},
	{"Policy versions in use", iamapi.SummaryKeyTypePolicyVersionsInUse, iamapi.SummaryKeyTypePolicyVersionsInUseQuota},
}

// summaryQuotas are the per-entity quotas GetAccountSummary reports.
var summaryQuotas = []struct{ Title, Key string }{
	{"Access keys per user", iamapi.SummaryKeyTypeAccessKeysPerUserQuota},
	{"Signing certificates per user", iamapi.SummaryKeyTypeSigningCertificatesPerUserQuota},
	{"Groups per user", iamapi.SummaryKeyTypeGroupsPerUserQuota},
	{"Managed policies per user", iamapi.SummaryKeyTypeAttachedPoliciesPerUserQuota},
	{"Managed policies per group", iamapi.SummaryKeyTypeAttachedPoliciesPerGroupQuota},
	{"Managed policies per role", iamapi.SummaryKeyTypeAttachedPoliciesPerRoleQuota},
	{"Versions per managed policy", iamapi.SummaryKeyTypeVersionsPerPolicyQuota},
	{"Managed policy size (characters)", iamapi.SummaryKeyTypePolicySizeQuota},
	{"User inline policy size", iamapi.SummaryKeyTypeUserPolicySizeQuota},
	{"Group inline policy size", iamapi.SummaryKeyTypeGroupPolicySizeQuota},
	{"Role inline policy size", iamapi.SummaryKeyTypeRolePolicySizeQuota},
	{"Role trust policy size", iamapi.SummaryKeyTypeAssumeRolePolicySizeQuota},
}

type dashboardData struct {
	Identity   *stsapi.GetCallerIdentityResponse
	Aliases    []string
	AliasErr   *shownError
	Counts     []summaryLine
	Quotas     []summaryLine
	SummaryErr *shownError
	// Root holds the recommendations about the root user (from the summary).
	Root []recommendation
	// Users holds those about IAM users (from the credential report of ReportTime); NoReport is why there
	// is none (ReportNotPresent, ReportExpired, ReportInProgress) and ReportErr any other failure.
	Users      []recommendation
	ReportTime string
	NoReport   *shownError
	ReportErr  *shownError
}

type summaryLine struct {
	Title        string
	Count, Quota int32
	HasQuota     bool
}

// recommendation is one security recommendation: OK when nothing needs doing, else Title says what to do
// and Names lists the users concerned (More: how many more there are).
type recommendation struct {
	ID, Title string
	OK        bool
	Names     []string
	More      int
}

func dashboard(x *exchange) error {
	id, err := call[stsapi.GetCallerIdentityResponse](x, "sts", "GetCallerIdentity", &stsapi.GetCallerIdentityRequest{})
	if err != nil {
		return err
	}
	d := &dashboardData{Identity: id}
	if out, err := call[iamapi.ListAccountAliasesResponse](x, "iam", "ListAccountAliases", &iamapi.ListAccountAliasesRequest{}); err != nil {
		d.AliasErr = x.showError(err)
	} else {
		d.Aliases = out.AccountAliases
	}
	if sum, err := call[iamapi.GetAccountSummaryResponse](x, "iam", "GetAccountSummary", &iamapi.GetAccountSummaryInput{}); err != nil {
		d.SummaryErr = x.showError(err)
	} else {
		d.summary(sum.SummaryMap)
	}
	rep, err := call[iamapi.GetCredentialReportResponse](x, "iam", "GetCredentialReport", &iamapi.GetCredentialReportInput{})
	switch {
	case reportAbsent(err):
		d.NoReport = x.showError(err)
	case err != nil:
		d.ReportErr = x.showError(err)
	default:
		d.ReportTime = deref(rep.GeneratedTime).(string)
		if d.Users, err = userRecommendations(rep.Content, x.c.now()); err != nil {
			return err
		}
	}
	return x.render(http.StatusOK, "dashboard", "Dashboard", d)
}

func (d *dashboardData) summary(m map[string]int32) {
	for _, c := range summaryCounts {
		q, ok := m[c.Quota]
		d.Counts = append(d.Counts, summaryLine{Title: c.Title, Count: m[c.Key], Quota: q, HasQuota: ok && c.Quota != ""})
	}
	for _, q := range summaryQuotas {
		if v, ok := m[q.Key]; ok {
			d.Quotas = append(d.Quotas, summaryLine{Title: q.Title, Quota: v, HasQuota: true})
		}
	}
	d.Root = []recommendation{
		{ID: "root-mfa", OK: m[iamapi.SummaryKeyTypeAccountMFAEnabled] == 1, Title: "Add MFA for the root user"},
		{ID: "root-keys", OK: m[iamapi.SummaryKeyTypeAccountAccessKeysPresent] == 0, Title: "Delete the root user's access keys"},
	}
}

// userRecommendations reads a credential report (CSV with AWS's columns, root's row named
// <root_account>) into the recommendations about IAM users: users without MFA, and users with an active
// access key last rotated more than oldKeyAge before now.
func userRecommendations(report []byte, now time.Time) ([]recommendation, error) {
	r := csv.NewReader(bytes.NewReader(report))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, errors.New("console: credential report without a header")
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[h] = i
	}
	need := []string{"user", "mfa_active", "access_key_1_active", "access_key_1_last_rotated", "access_key_2_active", "access_key_2_last_rotated"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, errors.New("console: credential report without column " + n)
		}
	}
	noMFA := recommendation{ID: "users-mfa", Title: "Add MFA for IAM users"}
	oldKeys := recommendation{ID: "old-keys", Title: "Rotate access keys older than 90 days"}
	add := func(rec *recommendation, name string) {
		if len(rec.Names) < recommendationNames {
			rec.Names = append(rec.Names, name)
		} else {
			rec.More++
		}
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.New("console: credential report: " + err.Error())
		}
		if len(row) != len(header) {
			return nil, errors.New("console: credential report row of the wrong width")
		}
		name := row[col["user"]]
		if name == "<root_account>" {
			continue // the root's recommendations come from the summary
		}
		if row[col["mfa_active"]] != "true" {
			add(&noMFA, name)
		}
		for _, k := range []string{"access_key_1", "access_key_2"} {
			if row[col[k+"_active"]] != "true" {
				continue
			}
			t, err := time.Parse(time.RFC3339, row[col[k+"_last_rotated"]])
			if err == nil && now.Sub(t) > oldKeyAge {
				add(&oldKeys, name)
				break
			}
		}
	}
	noMFA.OK, oldKeys.OK = len(noMFA.Names) == 0, len(oldKeys.Names) == 0
	return []recommendation{noMFA, oldKeys}, nil
}

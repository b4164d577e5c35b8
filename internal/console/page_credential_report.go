package console

// The credential report: GenerateCredentialReport from a button, GetCredentialReport downloaded as the
// CSV file AWS's console gives. The dashboard reads the same report for its recommendations.

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
)

func init() {
	register(page{name: "credential-report", nav: "Credential report", navPath: "/credential-report", routes: func(r *router) {
		r.get("/credential-report", credentialReportPage)
		r.get("/credential-report/download", downloadCredentialReport)
		r.post("/credential-report/generate", generateCredentialReport)
	}})
}

type credentialReportData struct {
	// Generated is the report's time ("" without a report); Users its number of rows but root's.
	Generated string
	Users     int
	Size      int
	// Missing is why there is no report to download (ReportNotPresent, ReportExpired or
	// ReportInProgress, as AWS words them).
	Missing *shownError
	Err     *shownError
	// JustGenerated: the page answers a GenerateCredentialReport.
	JustGenerated bool
}

// reportAbsent reports whether err says the account has no current report (as opposed to a refusal).
func reportAbsent(err error) bool {
	var ae protocol.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ReportNotPresent", "ReportExpired", "ReportInProgress":
		return true
	}
	return false
}

func credentialReportPage(x *exchange) error {
	d := &credentialReportData{}
	rep, err := call[iamapi.GetCredentialReportResponse](x, "iam", "GetCredentialReport", &iamapi.GetCredentialReportInput{})
	switch {
	case reportAbsent(err):
		d.Missing = x.showError(err)
	case err != nil:
		return err
	default:
		d.Generated, d.Size = deref(rep.GeneratedTime).(string), len(rep.Content)
		d.Users = max(bytes.Count(rep.Content, []byte("\n"))-2, 0) // the header and root's row
	}
	d.JustGenerated = x.r.URL.Query().Get("generated") != ""
	return x.render(http.StatusOK, "credential-report", "Credential report", d)
}

// generateCredentialReport asks for a new report and returns to the page that asked (the dashboard or
// the report's page; no other place, so the form cannot be made to redirect elsewhere).
func generateCredentialReport(x *exchange) error {
	if _, err := call[iamapi.GenerateCredentialReportResponse](x, "iam", "GenerateCredentialReport", &iamapi.GenerateCredentialReportInput{}); err != nil {
		if x.r.PostForm.Get("from") == "dashboard" {
			return err
		}
		se := x.showError(err)
		return x.render(se.Status, "credential-report", "Credential report", &credentialReportData{Err: se})
	}
	if x.r.PostForm.Get("from") == "dashboard" {
		return x.redirect("/")
	}
	return x.redirect("/credential-report?generated=1")
}

// downloadCredentialReport answers the report's CSV as a file.
func downloadCredentialReport(x *exchange) error {
	rep, err := call[iamapi.GetCredentialReportResponse](x, "iam", "GetCredentialReport", &iamapi.GetCredentialReportInput{})
	if err != nil {
		return err
	}
	name := "credential-report.csv"
	if rep.GeneratedTime != nil {
		name = "credential-report-" + rep.GeneratedTime.UTC().Format("2006-01-02T15-04-05Z") + ".csv"
	}
	h := x.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.Itoa(len(rep.Content)))
	h.Set("Cache-Control", "no-store") // the report lists every credential of the account
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(rep.Content)
	return nil
}

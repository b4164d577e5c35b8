package console

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// Identity providers: OpenID Connect (listed, created from a URL with client IDs and thumbprints, shown,
// deleted) and SAML (listed, created from metadata XML pasted or uploaded as a file, shown, deleted).
func init() {
	register(page{name: "identity-providers", nav: "Identity providers", navPath: "/identity-providers", routes: func(r *router) {
		r.get("/identity-providers", providersList)
		r.post("/identity-providers/oidc", oidcCreate)
		r.get("/identity-providers/oidc", oidcShow)
		r.post("/identity-providers/oidc/delete", oidcDelete)
		r.post("/identity-providers/saml", samlCreate)
		r.get("/identity-providers/saml", samlShow)
		r.post("/identity-providers/saml/delete", samlDelete)
	}})
}

type providersData struct {
	OIDC    []iamapi.OpenIDConnectProviderListEntry
	SAML    []iamapi.SAMLProviderListEntry
	Deleted string
	// The creation forms as typed, kept when IAM refuses them (OIDCErr, SAMLErr).
	OIDCURL, ClientIDs, Thumbprints string
	SAMLName, Metadata              string
	OIDCErr, SAMLErr                *shownError
}

func providersPage(x *exchange, status int, d *providersData) error {
	oidc, err := call[iamapi.ListOpenIDConnectProvidersResponse](x, "iam", "ListOpenIDConnectProviders", &iamapi.ListOpenIDConnectProvidersRequest{})
	if err != nil {
		return err
	}
	saml, err := call[iamapi.ListSAMLProvidersResponse](x, "iam", "ListSAMLProviders", &iamapi.ListSAMLProvidersRequest{})
	if err != nil {
		return err
	}
	d.OIDC, d.SAML = oidc.OpenIDConnectProviderList, saml.SAMLProviderList
	return x.render(status, "identity-providers", "Identity providers", d)
}

func providersList(x *exchange) error {
	return providersPage(x, http.StatusOK, &providersData{Deleted: x.r.URL.Query().Get("deleted")})
}

func oidcCreate(x *exchange) error {
	pf := x.r.PostForm
	d := &providersData{OIDCURL: strings.TrimSpace(pf.Get("url")), ClientIDs: pf.Get("client-ids"), Thumbprints: pf.Get("thumbprints")}
	out, err := call[iamapi.CreateOpenIDConnectProviderResponse](x, "iam", "CreateOpenIDConnectProvider", &iamapi.CreateOpenIDConnectProviderRequest{
		Url: &d.OIDCURL, ClientIDList: formLines(d.ClientIDs), ThumbprintList: formLines(d.Thumbprints)})
	if err != nil {
		d.OIDCErr = x.showError(err)
		return providersPage(x, d.OIDCErr.Status, d)
	}
	return x.redirect("/identity-providers/oidc?created=1&arn=" + url.QueryEscape(str(out.OpenIDConnectProviderArn)))
}

// samlMetadata is the metadata document of the SAML creation form: the uploaded file when one was
// chosen, else the pasted text. The form's size bound (maxFormBytes) bounds the file.
func samlMetadata(x *exchange) (string, error) {
	if mf := x.r.MultipartForm; mf != nil {
		if fhs := mf.File["metadata-file"]; len(fhs) > 0 && fhs[0].Size > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				return "", err
			}
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, maxFormBytes))
			if err != nil {
				return "", err
			}
			return string(b), nil
		}
	}
	return x.r.PostForm.Get("metadata"), nil
}

func samlCreate(x *exchange) error {
	doc, err := samlMetadata(x)
	if err != nil {
		return err
	}
	d := &providersData{SAMLName: strings.TrimSpace(x.r.PostForm.Get("name")), Metadata: doc}
	out, err := call[iamapi.CreateSAMLProviderResponse](x, "iam", "CreateSAMLProvider",
		&iamapi.CreateSAMLProviderRequest{Name: &d.SAMLName, SAMLMetadataDocument: &doc})
	if err != nil {
		d.SAMLErr = x.showError(err)
		return providersPage(x, d.SAMLErr.Status, d)
	}
	return x.redirect("/identity-providers/saml?created=1&arn=" + url.QueryEscape(str(out.SAMLProviderArn)))
}

// providerData is a provider's page: its ARN and what Get…Provider answered.
type providerData[Out any] struct {
	ARN      string
	Provider *Out
	Created  bool
}

// showProvider serves a provider's page (?arn=): operation (GetOpenIDConnectProvider or
// GetSAMLProvider) with the input in makes for the ARN, rendered by template name.
func showProvider[Out any](operation, name, title string, in func(arn *string) any) handlerFunc {
	return func(x *exchange) error {
		arn := x.r.URL.Query().Get("arn")
		out, err := call[Out](x, "iam", operation, in(&arn))
		if err != nil {
			return err
		}
		return x.render(http.StatusOK, name, title, &providerData[Out]{ARN: arn, Provider: out, Created: x.r.URL.Query().Get("created") != ""})
	}
}

// deleteProvider deletes the provider the form names (arn) with operation and the input in makes.
func deleteProvider(operation string, in func(arn *string) any) handlerFunc {
	return func(x *exchange) error {
		arn := x.r.PostForm.Get("arn")
		if _, err := x.invoke("iam", operation, in(&arn)); err != nil {
			return err
		}
		return x.redirect("/identity-providers?deleted=" + url.QueryEscape(arn))
	}
}

var (
	oidcShow = showProvider[iamapi.GetOpenIDConnectProviderResponse]("GetOpenIDConnectProvider", "oidc-provider", "OpenID Connect provider",
		func(arn *string) any { return &iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: arn} })
	oidcDelete = deleteProvider("DeleteOpenIDConnectProvider",
		func(arn *string) any {
			return &iamapi.DeleteOpenIDConnectProviderRequest{OpenIDConnectProviderArn: arn}
		})
	samlShow = showProvider[iamapi.GetSAMLProviderResponse]("GetSAMLProvider", "saml-provider", "SAML provider",
		func(arn *string) any { return &iamapi.GetSAMLProviderRequest{SAMLProviderArn: arn} })
	samlDelete = deleteProvider("DeleteSAMLProvider",
		func(arn *string) any { return &iamapi.DeleteSAMLProviderRequest{SAMLProviderArn: arn} })
)

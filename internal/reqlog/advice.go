package reqlog

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

// Advice says, for a failed request, what the IT admin should change, in
// the words of the Okta and Entra screens; "" for a request that succeeded.
func Advice(r store.Request) string {
	switch {
	case r.Status < 400:
		return ""
	case r.Status == http.StatusConflict || r.SCIMType == "uniqueness":
		return "Another user or group in this organization already has that name. In Entra, make sure the matching " +
			"attribute (Attribute mappings → Matching precedence) is userName, so Entra finds the existing user instead of " +
			"creating it again; in Okta, use \"Import Users\" to link the existing user. Or remove the duplicate here."
	case r.SCIMType == "invalidFilter":
		return "roster could not run the lookup filter the identity provider sent. Filters on userName, externalId, " +
			"displayName and emails are supported; check custom matching attributes in the provisioning settings."
	case r.SCIMType == "invalidSyntax":
		return "The request body is not valid SCIM JSON. An attribute mapping probably produces an empty or malformed " +
			"value: check the mappings (Okta: Provisioning → To App; Entra: Provisioning → Mappings) for the attribute " +
			"named in the detail."
	case r.SCIMType == "invalidValue" || r.SCIMType == "invalidPath" || r.SCIMType == "noTarget" || r.SCIMType == "mutability":
		return "A value was refused: the detail names the attribute. Fix or remove that attribute's mapping in the " +
			"identity provider's provisioning settings, then retry (Okta: \"Retry failed tasks\"; Entra: \"Provision on demand\")."
	case r.SCIMType == "tooMany":
		return "The query matched more than roster sorts at once: ask for fewer results or drop sortBy."
	case r.Status == http.StatusBadRequest:
		return "The request was refused as sent: the detail says which part. Check the attribute mappings of the " +
			"identity provider's provisioning settings."
	case r.Status == http.StatusNotFound:
		return "The identity provider refers to a user or group roster no longer has (deleted here, or by another " +
			"connection). In Okta, push the group again (Push Groups); in Entra, \"Restart provisioning\" to clear its state."
	case r.Status == http.StatusPreconditionFailed:
		return "The user or group changed since the identity provider read it; it retries on its next cycle. Nothing to do " +
			"unless it keeps happening, which means two connections are changing the same records."
	case r.Status == http.StatusRequestEntityTooLarge:
		return "The request body is larger than roster accepts. For very large groups, let the identity provider send " +
			"membership changes as PATCH operations (Entra does; in Okta, push the group rather than replacing it)."
	case r.Status == http.StatusUnsupportedMediaType:
		return "The request's Content-Type is not JSON: the identity provider must send application/scim+json."
	case r.Status == http.StatusForbidden:
		return "This organization's plan does not include SCIM provisioning: upgrade to the enterprise plan."
	case r.Status == http.StatusMethodNotAllowed:
		return "The identity provider called an endpoint in a way roster does not serve: check the SCIM base URL " +
			"(it must end in /scim/v2) in the provisioning settings."
	case r.Status == http.StatusTooManyRequests:
		return "The token sent more requests per second than its limit allows; the identity provider retries after the " +
			"Retry-After the answer carried. Raise the organization's SCIM rate limit if this happens during every sync."
	case r.Status == http.StatusServiceUnavailable:
		return "roster was busy and turned the request away; the identity provider retries it. If it persists, the " +
			"server needs more capacity."
	case r.Status >= 500:
		return "roster failed to answer; the identity provider retries. If it keeps failing, the server's log has the " +
			"error under the same time and path."
	case strings.HasPrefix(r.Path, "/scim/v2/Bulk"):
		return "The bulk request failed as a whole: the detail says why."
	}
	return "The request was refused: the detail says why."
}

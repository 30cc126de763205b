import Foundation

extension SandboxEngine {
    // MARK: Contacts

    /// `PUT /Contacts {"Contacts": [{"Name": "Amazon.co.uk"}, …]}` (or one contact's fields alone): each new contact
    /// is created ACTIVE. As Xero: a Name is required, at most 255 characters, and unique among the organisation's
    /// contacts (an archived one counts); a refused element comes back with its ValidationErrors and nothing is created.
    func createContacts(_ r: SandboxRequest) -> SandboxResponse {
        let items: [[String: Any]]
        switch jsonObject(r) {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let o): items = (o["Contacts"] as? [[String: Any]]) ?? [o]
        }
        var seen: [String] = []
        var elements: [[String: Any]] = []
        var failed = false
        for item in items {
            let name = (item["Name"] as? String ?? "").trimmingCharacters(in: .whitespaces)
            var errors: [String] = []
            if name.isEmpty {
                errors.append("The contact name must be specified.")
            } else if name.count > 255 {
                errors.append("The contact name must not be more than 255 characters long.")
            } else if contacts.contains(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame })
                        || seen.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
                errors.append("The contact name \(name) is already assigned to another contact. The contact name must be unique across all active contacts.")
            }
            seen.append(name)
            if !errors.isEmpty { failed = true }
            elements.append(errors.isEmpty ? item : Self.element(item, errors))
        }
        if failed { return Self.validationException(elements) }
        var made: [[String: Any]] = []
        for item in items {
            let contact = SandboxContact(name: (item["Name"] as? String ?? "").trimmingCharacters(in: .whitespaces))
            contacts.append(contact)
            made.append(["ContactID": contact.contactID, "Name": contact.name, "ContactStatus": contact.status, "HasValidationErrors": false])
        }
        return envelope("Contacts", made)
    }
}

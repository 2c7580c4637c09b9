using XenoCrm.Core.Customers;
using XenoCrm.Core.Orders;
using XenoCrm.Core.Validation;

namespace XenoCrm.Core.Ingestion;

/// <summary>
/// What a customer or an order must be before it is accepted: every mistake named under the record's path
/// (<c>items[3].email</c>); the record comes back normalized (trimmed, email lower-cased, times in UTC), or null.
/// </summary>
public static class IngestionValidation
{
    public static CustomerRecord? Customer(CustomerRecord? sent, string path, ValidationErrors errors) =>
        Judged(sent, errors, s =>
        {
            var externalId = FieldRules.Text(errors, ValidationErrors.PathOf(path, "externalId"), s.ExternalId, required: false, CustomerConfiguration.ExternalIdMaxLength);
            var email = FieldRules.Email(errors, ValidationErrors.PathOf(path, "email"), s.Email, required: true, CustomerConfiguration.EmailMaxLength);
            var name = FieldRules.Text(errors, ValidationErrors.PathOf(path, "name"), s.Name, required: true, CustomerConfiguration.NameMaxLength);
            var phone = FieldRules.Text(errors, ValidationErrors.PathOf(path, "phone"), s.Phone, required: false, CustomerConfiguration.PhoneMaxLength);
            var city = FieldRules.Text(errors, ValidationErrors.PathOf(path, "city"), s.City, required: false, CustomerConfiguration.PlaceMaxLength);
            var country = FieldRules.Text(errors, ValidationErrors.PathOf(path, "country"), s.Country, required: false, CustomerConfiguration.PlaceMaxLength);
            var signedUpAt = FieldRules.Timestamp(errors, ValidationErrors.PathOf(path, "signedUpAt"), s.SignedUpAt);
            return email is null || name is null ? null : new CustomerRecord(externalId, email, name, phone, city, country, signedUpAt);
        });

    /// <param name="now">The order time when the shop gives none.</param>
    public static OrderRecord? Order(OrderRequest? sent, string path, ValidationErrors errors, DateTime now) =>
        Judged(sent, errors, s =>
        {
            var externalId = FieldRules.Text(errors, ValidationErrors.PathOf(path, "externalId"), s.ExternalId, required: true, OrderConfiguration.ExternalIdMaxLength);
            var customerExternalId = FieldRules.Text(errors, ValidationErrors.PathOf(path, "customerExternalId"), s.CustomerExternalId, required: false, CustomerConfiguration.ExternalIdMaxLength);
            var customerEmail = FieldRules.Email(errors, ValidationErrors.PathOf(path, "customerEmail"), s.CustomerEmail, required: false, CustomerConfiguration.EmailMaxLength);
            var amount = FieldRules.Money(errors, ValidationErrors.PathOf(path, "amount"), s.Amount, required: true);
            var orderedAt = FieldRules.Timestamp(errors, ValidationErrors.PathOf(path, "orderedAt"), s.OrderedAt);
            var customerExternalIdPath = ValidationErrors.PathOf(path, "customerExternalId");
            if (customerExternalId is null && customerEmail is null && !errors.Has(customerExternalIdPath) && !errors.Has(ValidationErrors.PathOf(path, "customerEmail")))
            {
                errors.Add(customerExternalIdPath, "Give customerExternalId or customerEmail to name the order's customer.");
            }
            return externalId is null || amount is null || customerExternalId is null && customerEmail is null
                ? null
                : new OrderRecord(externalId, customerExternalId, customerEmail, amount.Value, orderedAt ?? now);
        });

    /// <summary>
    /// Null for a record not sent, and for one in which <paramref name="read"/> found any mistake: a record is
    /// accepted whole or not at all, and every one of its mistakes is named first.
    /// </summary>
    private static TRecord? Judged<TSent, TRecord>(TSent? sent, ValidationErrors errors, Func<TSent, TRecord?> read)
        where TSent : class
        where TRecord : class
    {
        if (sent is null)
        {
            return null;
        }
        var before = errors.Count;
        var record = read(sent);
        return errors.Count > before ? null : record;
    }
}

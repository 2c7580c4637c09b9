using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Orders;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Ingestion;

/// <summary>
/// A customer as the shop sends it, and as the worker receives it: the API's request body, its documented
/// schema and the message are this one record. The worker upserts it by external id, else by email.
/// </summary>
public sealed record CustomerRecord(
    [property: MaxLength(CustomerConfiguration.ExternalIdMaxLength), Description("Your id; customers are upserted by it, else by email.")]
    string? ExternalId,
    [property: Required, EmailAddress, MaxLength(CustomerConfiguration.EmailMaxLength), Description("Stored lower-case.")]
    string Email,
    [property: Required, MaxLength(CustomerConfiguration.NameMaxLength)]
    string Name,
    [property: MaxLength(CustomerConfiguration.PhoneMaxLength)]
    string? Phone = null,
    [property: MaxLength(CustomerConfiguration.PlaceMaxLength)]
    string? City = null,
    [property: MaxLength(CustomerConfiguration.PlaceMaxLength)]
    string? Country = null,
    [property: Description("ISO 8601; without an offset it is taken as UTC.")]
    DateTime? SignedUpAt = null);

/// <summary>An order as the shop sends it; <see cref="IngestionValidation.Order"/> makes the <see cref="OrderRecord"/> of it.</summary>
public sealed record OrderRequest(
    [property: Required, MaxLength(OrderConfiguration.ExternalIdMaxLength), Description("Your id; an order is stored once per externalId.")]
    string? ExternalId,
    [property: MaxLength(CustomerConfiguration.ExternalIdMaxLength), Description("The customer's externalId (or give customerEmail).")]
    string? CustomerExternalId,
    [property: EmailAddress, MaxLength(CustomerConfiguration.EmailMaxLength), Description("The customer's email (or give customerExternalId).")]
    string? CustomerEmail,
    [property: Required, Range(typeof(decimal), "0", "9999999999999999.99"), Description("At least 0, two decimals at most.")]
    decimal? Amount,
    [property: Description("ISO 8601; defaults to now.")]
    DateTime? OrderedAt);

/// <summary>An order as stored once per external id.</summary>
public sealed record OrderRecord(
    string ExternalId,
    string? CustomerExternalId,
    string? CustomerEmail,
    decimal Amount,
    DateTime OrderedAt);

/// <summary>One accepted API request's customers (one AMQP message per request keeps the broker far from the limit).</summary>
[MessageTopic(Topics.Customers)]
public sealed record CustomersReceived(string RequestId, IReadOnlyList<CustomerRecord> Customers);

/// <summary>One accepted API request's orders, or the remainder of one deferred for a missing customer.</summary>
[MessageTopic(Topics.Orders)]
public sealed record OrdersReceived(string RequestId, IReadOnlyList<OrderRecord> Orders);

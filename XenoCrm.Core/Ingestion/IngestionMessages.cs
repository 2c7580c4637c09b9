using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Ingestion;

/// <summary>A customer as the shop sends it; the worker upserts it by external id, else by email.</summary>
public sealed record CustomerRecord(
    string? ExternalId,
    string Email,
    string Name,
    string? Phone = null,
    string? City = null,
    string? Country = null,
    DateTime? SignedUpAt = null);

/// <summary>An order as the shop sends it; stored once per external id.</summary>
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

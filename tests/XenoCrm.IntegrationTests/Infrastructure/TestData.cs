using System.Net;
using System.Net.Http.Json;

namespace XenoCrm.IntegrationTests.Infrastructure;

public sealed record CustomerIn(string ExternalId, string Email, string Name, string City);

public sealed record OrderIn(string ExternalId, string CustomerExternalId, decimal Amount, DateTime OrderedAt);

/// <summary>Deterministic customers and orders, so that every expected number can be computed exactly.</summary>
public static class TestData
{
    private static readonly DateTime Start = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static List<CustomerIn> Customers(int count, string prefix = "c") =>
        Enumerable.Range(0, count).Select(i => new CustomerIn($"{prefix}{i}", $"{prefix}{i}@shop.test", $"Customer {i}", i % 2 == 0 ? "Pune" : "Delhi")).ToList();

    public static List<OrderIn> Orders(int count, int customers, string prefix = "o", string customerPrefix = "c") =>
        Enumerable.Range(0, count).Select(i => new OrderIn(
            $"{prefix}{i}",
            $"{customerPrefix}{i * 7919 % customers}",
            i % 997 + 0.25m,
            Start.AddMinutes(i * 13))).ToList();

    /// <summary>POSTs records in batches, a few requests at a time, and asserts each was accepted.</summary>
    public static async Task PostInBatchesAsync<T>(HttpClient api, string path, IReadOnlyList<T> records, int batchSize = 1000, int concurrency = 4)
    {
        await Parallel.ForEachAsync(records.Chunk(batchSize), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (batch, ct) =>
        {
            using var response = await api.PostAsJsonAsync(path, new { items = batch }, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        });
    }
}

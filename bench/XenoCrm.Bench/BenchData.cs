using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bogus;

namespace XenoCrm.Bench;

public sealed record BenchCustomer(string ExternalId, string Email, string Name, string Phone, string City, string Country, DateTime SignedUpAt);

public sealed record BenchOrder(string ExternalId, string CustomerExternalId, decimal Amount, DateTime OrderedAt);

/// <summary>The records a run sends: the same for every run with the same seed and sizes (dates are relative to the day of the run).</summary>
public sealed class BenchData
{
    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private BenchData(IReadOnlyList<BenchCustomer> customers, IReadOnlyList<BenchOrder> orders)
    {
        Customers = customers;
        Orders = orders;
    }

    public IReadOnlyList<BenchCustomer> Customers { get; }

    /// <summary>Each order names an existing customer by its external id.</summary>
    public IReadOnlyList<BenchOrder> Orders { get; }

    public static BenchData Generate(int customers, int orders, int seed)
    {
        var faker = new Faker("en") { Random = new Randomizer(seed) };
        // Whole seconds, so that what MariaDB stores compares equal to what was sent.
        var today = DateTime.UtcNow.Date;
        var customerList = new List<BenchCustomer>(customers);
        for (var i = 0; i < customers; i++)
        {
            var first = faker.Name.FirstName();
            var last = faker.Name.LastName();
            customerList.Add(new BenchCustomer(
                $"cust-{i:D7}",
                $"{Slug(first)}.{Slug(last)}.{i}@{faker.PickRandom("example.com", "example.org", "example.net")}",
                $"{first} {last}",
                faker.Phone.PhoneNumber("+1 ###-###-####"),
                faker.Address.City(),
                faker.Address.Country(),
                WholeSeconds(faker.Date.Past(3, today))));
        }

        var orderList = new List<BenchOrder>(orders);
        for (var i = 0; i < orders; i++)
        {
            orderList.Add(new BenchOrder(
                $"ord-{i:D8}",
                customerList[faker.Random.Int(0, customers - 1)].ExternalId,
                Math.Round(faker.Random.Decimal(5m, 500m), 2),
                WholeSeconds(faker.Date.Past(2, today))));
        }

        return new BenchData(customerList, orderList);
    }

    /// <summary>Request bodies of the batch endpoint: <c>{"items": [...]}</c> with up to <paramref name="batchSize"/> records each.</summary>
    public static List<byte[]> BatchBodies<T>(IEnumerable<T> records, int batchSize) =>
        records.Chunk(batchSize).Select(chunk => JsonSerializer.SerializeToUtf8Bytes(new { items = chunk }, _json)).ToList();

    /// <summary>Request bodies of one record each.</summary>
    public static List<byte[]> SingleBodies<T>(IEnumerable<T> records) =>
        records.Select(record => JsonSerializer.SerializeToUtf8Bytes(record, _json)).ToList();

    private static DateTime WholeSeconds(DateTime value) =>
        new(value.Ticks - value.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static string Slug(string name)
    {
        var letters = name.ToLower(CultureInfo.InvariantCulture).Where(char.IsAsciiLetterOrDigit).ToArray();
        return letters.Length > 0 ? new string(letters) : "x";
    }
}

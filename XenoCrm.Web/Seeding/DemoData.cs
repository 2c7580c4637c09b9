using System.Globalization;
using Bogus;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Orders;

namespace XenoCrm.Web.Seeding;

/// <summary>One chunk of generated customers with their orders; the customers' aggregates are those of these orders.</summary>
public sealed record DemoDataChunk(IReadOnlyList<Customer> Customers, IReadOnlyList<Order> Orders);

/// <summary>
/// Realistic demo customers and orders, generated in chunks so that a million customers never sit
/// in memory at once. Each customer's orders are generated with it, so its aggregates (total spend,
/// order count, first and last order) are computed here and equal SUM/COUNT/MIN/MAX over its orders.
/// The same seed, sizes and first ids give the same data (dates are relative to <c>now</c>).
/// </summary>
/// <remarks>
/// Ids are given here, not by the database, so that orders can name their customer in a bulk load;
/// external ids and emails are derived from the ids, so they never collide with an earlier run's.
/// </remarks>
public sealed class DemoData
{
    /// <summary>Every demo customer's email ends with this domain.</summary>
    public const string EmailDomain = "demo.xenocrm.example";

    /// <summary>Every demo customer's external id starts with this, which the unique index on external ids finds fast.</summary>
    public const string CustomerExternalIdPrefix = "demo-c-";

    public const string OrderExternalIdPrefix = "demo-o-";

    // Share of customers who never ordered, and of those who stopped ordering at some point.
    private const double NeverOrderedShare = 0.18;
    private const double ChurnedShare = 0.45;
    private const int SignUpDays = 3 * 365;

    private static readonly (string City, double Weight)[] _indianCities =
    [
        ("Mumbai", 14), ("Delhi", 13), ("Bengaluru", 12), ("Hyderabad", 8), ("Chennai", 8), ("Pune", 7), ("Kolkata", 7),
        ("Ahmedabad", 5), ("Jaipur", 4), ("Lucknow", 3), ("Kochi", 3), ("Chandigarh", 2), ("Indore", 2), ("Bhopal", 2),
        ("Nagpur", 2), ("Surat", 2), ("Coimbatore", 2), ("Visakhapatnam", 1), ("Mysuru", 1), ("Guwahati", 1),
    ];

    private static readonly (string City, string Country, double Weight)[] _otherCities =
    [
        ("London", "United Kingdom", 5), ("Manchester", "United Kingdom", 2), ("New York", "United States", 5),
        ("San Francisco", "United States", 3), ("Chicago", "United States", 2), ("Toronto", "Canada", 3),
        ("Dubai", "United Arab Emirates", 4), ("Singapore", "Singapore", 4), ("Sydney", "Australia", 3),
        ("Melbourne", "Australia", 2), ("Berlin", "Germany", 2), ("Paris", "France", 2), ("Amsterdam", "Netherlands", 1),
        ("Colombo", "Sri Lanka", 2), ("Kathmandu", "Nepal", 1), ("Dhaka", "Bangladesh", 1), ("Kuala Lumpur", "Malaysia", 2),
    ];

    private const double IndiaShare = 0.7;

    private readonly int _customers;
    private readonly long _orders;
    private readonly int _chunkSize;
    private readonly Random _random;
    private readonly Faker _indianNames;
    private readonly Faker _otherNames;
    private readonly DateTime _now;

    /// <param name="customers">How many customers in all.</param>
    /// <param name="orders">How many orders in all, spread over the customers with a long tail.</param>
    /// <param name="seed">The same seed gives the same data.</param>
    /// <param name="now">The end of the generated history; whole seconds are kept.</param>
    /// <param name="chunkSize">Customers per chunk.</param>
    public DemoData(int customers, long orders, int seed, DateTime now, int chunkSize = 50_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(customers);
        ArgumentOutOfRangeException.ThrowIfNegative(orders);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        if (customers == 0 && orders > 0)
        {
            throw new ArgumentException("Orders need customers.", nameof(orders));
        }
        _customers = customers;
        _orders = orders;
        _chunkSize = chunkSize;
        _random = new Random(seed);
        _indianNames = new Faker("en_IND") { Random = new Randomizer(seed) };
        _otherNames = new Faker("en") { Random = new Randomizer(seed + 1) };
        _now = WholeSeconds(now.ToUniversalTime());
    }

    /// <summary>
    /// The customers in chunks, with ids from <paramref name="firstCustomerId"/> and orders' ids from
    /// <paramref name="firstOrderId"/>. Each chunk gets its share of the orders, so the totals are exact.
    /// </summary>
    public IEnumerable<DemoDataChunk> Chunks(long firstCustomerId, long firstOrderId)
    {
        var nextOrderId = firstOrderId;
        for (var start = 0; start < _customers; start += _chunkSize)
        {
            var end = Math.Min(start + _chunkSize, _customers);
            var orderQuota = OrdersBefore(end) - OrdersBefore(start);
            var chunk = Generate(firstCustomerId + start, end - start, orderQuota, nextOrderId);
            nextOrderId += orderQuota;
            yield return chunk;
        }
    }

    private long OrdersBefore(int customer) => (long)Math.Round((double)_orders * customer / _customers);

    private DemoDataChunk Generate(long firstId, int count, long orderCount, long firstOrderId)
    {
        var customers = new List<Customer>(count);
        var shapes = new CustomerShape[count];
        var cumulativeWeight = new double[count];
        var total = 0.0;
        for (var i = 0; i < count; i++)
        {
            var customer = NewCustomer(firstId + i);
            customers.Add(customer);
            shapes[i] = NewShape(customer.SignedUpAt!.Value);
            total += shapes[i].Weight;
            cumulativeWeight[i] = total;
        }
        if (total == 0 && orderCount > 0)
        {
            // A tiny chunk of customers who never order still gets its share of the orders.
            for (var i = 0; i < count; i++)
            {
                cumulativeWeight[i] = i + 1;
            }
            total = count;
        }

        var ordersPerCustomer = new int[count];
        for (long n = 0; n < orderCount; n++)
        {
            var index = Array.BinarySearch(cumulativeWeight, _random.NextDouble() * total);
            index = index < 0 ? ~index : index;
            ordersPerCustomer[Math.Min(index, count - 1)]++;
        }

        var orders = new List<Order>((int)orderCount);
        var orderId = firstOrderId;
        for (var i = 0; i < count; i++)
        {
            var customer = customers[i];
            var shape = shapes[i];
            for (var k = 0; k < ordersPerCustomer[i]; k++)
            {
                var amount = Math.Round((decimal)Math.Clamp(shape.Basket * LogNormal(0, 0.6), 49, 500_000), 2);
                var orderedAt = shape.From + TimeSpan.FromSeconds(Math.Floor(_random.NextDouble() * (shape.Until - shape.From).TotalSeconds));
                orders.Add(new Order
                {
                    Id = orderId,
                    ExternalId = OrderExternalIdPrefix + orderId.ToString("D9", CultureInfo.InvariantCulture),
                    CustomerId = customer.Id,
                    Amount = amount,
                    OrderedAt = orderedAt,
                    CreatedAt = _now,
                });
                orderId++;
                customer.TotalSpend += amount;
                customer.OrderCount++;
                customer.FirstOrderAt = customer.FirstOrderAt is { } first && first <= orderedAt ? first : orderedAt;
                customer.LastOrderAt = customer.LastOrderAt is { } last && last >= orderedAt ? last : orderedAt;
            }
            // As the database's ROUND(total_spend / order_count, 2) does it: half away from zero.
            customer.AvgOrderValue = customer.OrderCount > 0
                ? Math.Round(customer.TotalSpend / customer.OrderCount, 2, MidpointRounding.AwayFromZero)
                : null;
        }
        return new DemoDataChunk(customers, orders);
    }

    private Customer NewCustomer(long id)
    {
        var inIndia = _random.NextDouble() < IndiaShare;
        var names = inIndia ? _indianNames : _otherNames;
        var first = names.Name.FirstName();
        var last = names.Name.LastName();
        string city, country;
        if (inIndia)
        {
            city = Pick(_indianCities, c => c.Weight).City;
            country = "India";
        }
        else
        {
            (city, country, _) = Pick(_otherCities, c => c.Weight);
        }
        var signedUpAt = _now - TimeSpan.FromSeconds(Math.Floor(_random.NextDouble() * SignUpDays * 86_400));
        return new Customer
        {
            Id = id,
            ExternalId = CustomerExternalIdPrefix + id.ToString("D9", CultureInfo.InvariantCulture),
            Email = $"{Slug(first)}.{Slug(last)}.{id.ToString(CultureInfo.InvariantCulture)}@{EmailDomain}",
            Name = $"{first} {last}",
            Phone = inIndia
                ? "+91 " + _random.NextInt64(6_000_000_000, 9_999_999_999).ToString(CultureInfo.InvariantCulture)
                : "+1 " + _random.NextInt64(2_000_000_000, 9_999_999_999).ToString(CultureInfo.InvariantCulture),
            City = city,
            Country = country,
            SignedUpAt = signedUpAt,
            CreatedAt = signedUpAt,
            UpdatedAt = _now,
        };
    }

    /// <summary>
    /// How often a customer orders (a heavy-tailed weight, zero for those who never do), how much
    /// it tends to spend per order (log-normal, so a few spend far more), and when it was active.
    /// </summary>
    private CustomerShape NewShape(DateTime signedUpAt)
    {
        var weight = _random.NextDouble() < NeverOrderedShare ? 0 : Math.Pow(1 - _random.NextDouble(), -1 / 1.6);
        var basket = Math.Exp(7.2 + 0.9 * Normal());
        var until = _random.NextDouble() < ChurnedShare
            ? signedUpAt + (_now - signedUpAt) * _random.NextDouble()
            : _now;
        return new CustomerShape(weight, basket, signedUpAt, until);
    }

    private readonly record struct CustomerShape(double Weight, double Basket, DateTime From, DateTime Until);

    private T Pick<T>(T[] items, Func<T, double> weight)
    {
        var roll = _random.NextDouble() * items.Sum(weight);
        foreach (var item in items)
        {
            roll -= weight(item);
            if (roll < 0)
            {
                return item;
            }
        }
        return items[^1];
    }

    private double Normal() =>
        Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());

    private double LogNormal(double mu, double sigma) => Math.Exp(mu + sigma * Normal());

    private static DateTime WholeSeconds(DateTime value) =>
        new(value.Ticks - value.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static string Slug(string name)
    {
        var letters = name.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray();
        return letters.Length > 0 ? new string(letters) : "x";
    }
}

using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Data;
using XenoCrm.Core.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Tests.Messaging;

[MessageTopic("notes")]
public sealed record Note(string Text, int Count = 1);

/// <summary>Stores notes; throws for "poison", defers "later", and fails transiently for "flaky" a few times.</summary>
public sealed class NoteHandler : IMessageBatchHandler<Note>
{
    public ConcurrentBag<string> Stored { get; } = [];
    public int FlakyFailuresLeft { get; set; }

    public Task<IReadOnlyList<Deferral<Note>>> HandleAsync(IReadOnlyList<Note> messages, CancellationToken ct)
    {
        if (messages.Any(m => m.Text == "poison"))
        {
            throw new InvalidOperationException("poison refused");
        }
        if (messages.Any(m => m.Text == "flaky") && FlakyFailuresLeft-- > 0)
        {
            throw new TimeoutException("database timed out");
        }
        var deferrals = new List<Deferral<Note>>();
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].Text == "later")
            {
                deferrals.Add(new Deferral<Note>(i, messages[i], "not yet"));
            }
            else
            {
                Stored.Add(messages[i].Text);
            }
        }
        return Task.FromResult<IReadOnlyList<Deferral<Note>>>(deferrals);
    }
}

public sealed class BatchConsumerTests : IAsyncLifetime
{
    private const string Topic = "notes";
    private SqliteConnection _database = null!;
    private readonly NoteHandler _handler = new();
    private ServiceProvider _services = null!;
    private InProcessBus _bus = null!;
    private BatchConsumer<Note> _consumer = null!;

    public async Task InitializeAsync()
    {
        // A shared in-memory database, kept alive by this connection: each context opens its own, because the
        // consumer writes while the test reads, and one SQLite connection must not serve two at once.
        var connectionString = $"Data Source=file:notes-{Guid.NewGuid():N}?mode=memory&cache=shared";
        _database = new SqliteConnection(connectionString);
        await _database.OpenAsync();
        var options = Options.Create(new MessagingOptions { RetryDelay = TimeSpan.FromMilliseconds(50), MaxAttempts = 3 });
        _services = new ServiceCollection()
            .AddLogging()
            .AddMetrics()
            .AddSingleton<CrmMetrics>()
            .AddDbContext<CrmDbContext, SqliteCrmDbContext>(o => o.UseSqlite(connectionString))
            .AddSingleton<IMessageBatchHandler<Note>>(_handler)
            .BuildServiceProvider();
        await using (var scope = _services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<CrmDbContext>().Database.EnsureCreatedAsync();
        }
        _bus = new InProcessBus(options);
        // A short first wait for the database retry: five transient failures must be over well within the test's patience.
        var settings = new BatchConsumerSettings(100, 1000) { DatabaseRetryDelay = TimeSpan.FromMilliseconds(20) };
        _consumer = new BatchConsumer<Note>(settings, n => n.Count, _bus,
            _services.GetRequiredService<IServiceScopeFactory>(), options, _services.GetRequiredService<CrmMetrics>(), TimeProvider.System, NullLogger<BatchConsumer<Note>>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _consumer.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    private async Task PublishAsync(params string[] bodies)
    {
        foreach (var body in bodies)
        {
            await _bus.SendAsync(new OutgoingMessage(Topic, Encoding.UTF8.GetBytes(body)), CancellationToken.None);
        }
    }

    private static string Json(string text) => MessageJsonText(new Note(text));

    private static string MessageJsonText(Note note) => Encoding.UTF8.GetString(MessageJson.Serialize(note));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }
    }

    private async Task<List<XenoCrm.Core.Messaging.DeadLetter>> WaitForDeadLettersAsync(int count)
    {
        for (var i = 0; i < 200; i++)
        {
            await using var scope = _services.CreateAsyncScope();
            var letters = await scope.ServiceProvider.GetRequiredService<CrmDbContext>().DeadLetters.AsNoTracking().ToListAsync();
            if (letters.Count >= count)
            {
                return letters;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"Fewer than {count} dead letters arrived.");
    }

    [Fact]
    public async Task Consumer_IsolatesAPoisonMessageInABatch_StoresTheRest_AndDeadLettersItAfterItsAttempts()
    {
        // Published before the consumer starts, so they are read as one batch.
        await PublishAsync(Json("a"), Json("b"), Json("poison"), Json("c"), Json("d"));
        await _consumer.StartAsync(CancellationToken.None);

        var letters = await WaitForDeadLettersAsync(1);

        var letter = Assert.Single(letters);
        Assert.Equal(Topic, letter.Topic);
        Assert.Equal(3, letter.Attempts);
        Assert.Contains("poison refused", letter.Reason, StringComparison.Ordinal);
        Assert.Contains("after 3 attempts", letter.Reason, StringComparison.Ordinal);
        Assert.Contains("poison", letter.Body, StringComparison.Ordinal);
        Assert.Equal(["a", "b", "c", "d"], _handler.Stored.Order());
    }

    [Fact]
    public async Task Consumer_DeadLettersAMalformedMessageAtOnce_WithTheParserError()
    {
        await _consumer.StartAsync(CancellationToken.None);
        await PublishAsync("{not json", """{"count":1}""", Json("fine"));

        var letters = await WaitForDeadLettersAsync(2);

        Assert.All(letters, l => Assert.StartsWith("Malformed message:", l.Reason, StringComparison.Ordinal));
        Assert.All(letters, l => Assert.Equal(1, l.Attempts));
        Assert.Contains("{not json", letters.Select(l => l.Body));
        // The malformed messages are dead-lettered as they are read, before the valid one of their batch is stored.
        await WaitUntilAsync(() => !_handler.Stored.IsEmpty);
        Assert.Equal(["fine"], _handler.Stored);
    }

    [Fact]
    public async Task Consumer_RetriesADeferralAfterTheDelay_AndDeadLettersItWithTheHandlersReason()
    {
        await _consumer.StartAsync(CancellationToken.None);
        await PublishAsync(Json("later"), Json("now"));

        var letter = Assert.Single(await WaitForDeadLettersAsync(1));

        Assert.Equal("not yet (after 3 attempts)", letter.Reason);
        Assert.Equal(MessageJsonText(new Note("later")), letter.Body);
        Assert.Equal(["now"], _handler.Stored);
    }

    [Fact]
    public async Task Consumer_RetriesTheSameBatchOnATransientFailure_WithoutSpendingAttempts()
    {
        // More transient failures than MaxAttempts: were they spending attempts, "flaky" would be dead-lettered.
        _handler.FlakyFailuresLeft = 5;
        await _consumer.StartAsync(CancellationToken.None);
        await PublishAsync(Json("flaky"), Json("poison-free"));

        for (var i = 0; i < 400 && _handler.Stored.Count < 2; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(["flaky", "poison-free"], _handler.Stored.Order());
        await using var scope = _services.CreateAsyncScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<CrmDbContext>().DeadLetters.CountAsync());
    }
}

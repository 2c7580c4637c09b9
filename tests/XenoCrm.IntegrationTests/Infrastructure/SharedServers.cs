using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Infrastructure;

/// <summary>
/// One MariaDB, RabbitMQ and Redis for the tests that leave the servers running; each test
/// still gets its own database and virtual host. Tests that stop a server start their own.
/// </summary>
public sealed class SharedServers : IAsyncLifetime
{
    public MariaDbServer MariaDb { get; private set; } = null!;
    public RabbitMqServer RabbitMq { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var mariaDb = MariaDbServer.StartAsync("512M");
        var rabbitMq = RabbitMqServer.StartAsync();
        var redis = RedisServer.StartAsync();
        MariaDb = await mariaDb;
        RabbitMq = await rabbitMq;
        Redis = await redis;
    }

    public async Task DisposeAsync()
    {
        await MariaDb.DisposeAsync();
        await RabbitMq.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedServersDefinition : ICollectionFixture<SharedServers>
{
    public const string Name = "Shared servers";
}

using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Delivery;

/// <summary>The Delivery process runs only the distributed mode, and a bad setting stops it with the setting's name.</summary>
public sealed class DeliveryStartupTests
{
    // Nothing listens there; these processes must stop before they ever connect.
    private const string UnusedBroker = "amqp://guest:guest@127.0.0.1:1/";

    [Theory]
    [InlineData(null, "key", null, "ConnectionStrings:RabbitMq")]
    [InlineData(UnusedBroker, null, null, "Delivery:ApiKey")]
    [InlineData(UnusedBroker, "  ", null, "Delivery:ApiKey")]
    [InlineData(UnusedBroker, "key", "1.5", "SuccessRate")]
    public async Task Delivery_ExitsNamingTheSetting_WhenItIsMissingOrInvalid(string? rabbitMq, string? apiKey, string? successRate, string setting)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__RabbitMq"] = rabbitMq,
            ["Delivery__ApiKey"] = apiKey,
            ["DeliverySimulation__SuccessRate"] = successRate,
        };
        await using var delivery = AppProcess.Start("XenoCrm.Delivery", environment, "--urls", $"http://127.0.0.1:{FreePort.Next()}");

        var exitCode = await delivery.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode != 0, $"XenoCrm.Delivery exited with 0:\n{delivery.Output}");
        Assert.Contains(setting, delivery.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delivery_ExitsNamingTheSettings_WhenTheFaultRatesAddUpToMoreThanOne()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__RabbitMq"] = UnusedBroker,
            ["Delivery__ApiKey"] = "key",
            ["DeliverySimulation__ServerErrorRate"] = "0.6",
            ["DeliverySimulation__TooManyRequestsRate"] = "0.6",
        };
        await using var delivery = AppProcess.Start("XenoCrm.Delivery", environment, "--urls", $"http://127.0.0.1:{FreePort.Next()}");

        var exitCode = await delivery.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode != 0, $"XenoCrm.Delivery exited with 0:\n{delivery.Output}");
        Assert.Contains("DeliverySimulation:ServerErrorRate + DeliverySimulation:TooManyRequestsRate", delivery.Output, StringComparison.Ordinal);
    }
}

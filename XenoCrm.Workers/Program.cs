using XenoCrm.Core;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Health;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration.UsesInProcessBus())
{
    throw new InvalidOperationException(
        "XenoCrm.Workers runs the distributed mode and needs ConnectionStrings:RabbitMq; in the embedded mode XenoCrm.Web hosts the workers itself.");
}
if (builder.Configuration["Delivery:BaseUrl"] is null or "")
{
    throw new InvalidOperationException("XenoCrm.Workers sends campaigns through the Delivery service and needs Delivery:BaseUrl (and Delivery:ApiKey).");
}
builder.AddCrmDatabase();
builder.AddMessageBus();
builder.AddCrmTelemetry();
builder.AddWorkersRole();

var app = builder.Build();
app.MapCrmHealthChecks();
app.MapCrmMetrics();
await app.Services.MigrateCrmDatabaseAsync();
await app.RunAsync();

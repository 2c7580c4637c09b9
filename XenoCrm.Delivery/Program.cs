using XenoCrm.ServiceDefaults.Health;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.Delivery;
using XenoCrm.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration.UsesInProcessBus())
{
    throw new InvalidOperationException(
        "XenoCrm.Delivery runs the distributed mode and needs ConnectionStrings:RabbitMq to publish receipts; in the embedded mode XenoCrm.Web hosts Delivery itself.");
}
builder.AddMessageBus();
builder.AddCrmTelemetry();
builder.AddDeliveryService();
builder.AddDeliveryApi();
builder.Services.AddProblemDetails();

var app = builder.Build();
app.UseExceptionHandler();
app.MapCrmHealthChecks();
app.MapCrmMetrics();
app.MapDeliveryApi();
await app.RunAsync();

using XenoCrm.Delivery;
using XenoCrm.ServiceDefaults.Health;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;

var builder = WebApplication.CreateBuilder(args);
builder.RequireRabbitMq("XenoCrm.Delivery");
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

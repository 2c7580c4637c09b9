using XenoCrm.Core;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Health;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.Workers;

var builder = WebApplication.CreateBuilder(args);
builder.RequireDistributedMode();
builder.AddCrmDatabase();
builder.AddMessageBus();
builder.AddCrmTelemetry();
builder.AddWorkersRole();

var app = builder.Build();
app.MapCrmHealthChecks();
app.MapCrmMetrics();
await app.Services.MigrateCrmDatabaseAsync();
await app.RunAsync();

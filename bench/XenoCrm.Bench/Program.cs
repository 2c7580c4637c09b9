using System.CommandLine;
using XenoCrm.Bench;

var root = new RootCommand("XenoCrm's load generator: starts its own servers, runs the distributed mode and writes a table to bench/results.")
{
    IngestCommand.Create(),
    SegmentCommand.Create(),
    CampaignCommand.Create(),
};
return await BenchCommandLine.InvokeAsync(root, args);

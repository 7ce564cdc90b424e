using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Automations.Tests.Http;

public class LoggingTests
{
    /// <summary>A failure (a job, a circuit, a request) is one line with its time, exception included: no multi-line stacks between other lines.</summary>
    [Fact]
    public async Task Console_logs_are_single_lines_with_utc_timestamps()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });

        var options = app.Get<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue;

        Assert.True(options.SingleLine);
        Assert.True(options.UseUtcTimestamp);
        Assert.Equal(ConsoleFormatterNames.Simple, app.Get<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }
}

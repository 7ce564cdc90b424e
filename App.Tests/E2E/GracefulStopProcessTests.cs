using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.E2E;

/// <summary>The app as a real process: SIGTERM with a browser tab connected ends it in seconds, cleanly.</summary>
[Collection(BrowserCollection.Name)]
public class GracefulStopProcessTests(BrowserFixture browser)
{
    [Fact]
    public async Task Sigterm_with_a_browser_tab_connected_stops_the_app_in_seconds_without_errors()
    {
        using var data = new TestDirectory();
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var appDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(appDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { appDll, "--urls", url, "--Storage:DataDirectory", data.Path })
        {
            start.ArgumentList.Add(argument);
        }

        using var app = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        app.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        app.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    if ((await http.GetAsync(url + "/Account/Login")).IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }

                Assert.True(DateTime.UtcNow < deadline, "the app did not start: " + output);
                await Task.Delay(200);
            }

            // An interactive page: its Blazor circuit holds a WebSocket open.
            var page = await browser.NewPageAsync();
            var socket = page.WaitForWebSocketAsync();
            await page.GotoAsync(url + "/");
            var circuit = await socket;
            var frame = new TaskCompletionSource();
            circuit.FrameReceived += (_, _) => frame.TrySetResult();
            await frame.Task.WaitAsync(TimeSpan.FromSeconds(15));
            await Task.Delay(1000);

            var stopwatch = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-TERM", app.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.WaitForExitAsync(timeout.Token);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(8), $"stopping took {stopwatch.Elapsed.TotalSeconds:F1} s: {output}");
            Assert.Equal(0, app.ExitCode);
            Assert.DoesNotContain("failed to stop", output.ToString());
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

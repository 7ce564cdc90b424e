namespace Automations.Front;

/// <summary>
/// An example load balancer for several Automations instances: YARP with cookie session affinity (Blazor Server keeps
/// each browser's circuit in one instance's memory, so a browser must stay with that instance) and active health
/// checks on /readyz (an instance that is stopping or cannot reach the database gets no new sessions).
/// Destinations come from configuration: see front.json and the README's "Running several instances".
/// </summary>
public static class FrontProgram
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // front.json beside the program; the environment and the command line still override it.
        builder.Configuration.AddJsonFile("front.json", optional: false).AddEnvironmentVariables().AddCommandLine(args);
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        var app = builder.Build();
        app.MapGet("/front/healthz", () => Results.Text("ok"));
        app.MapReverseProxy();
        await app.RunAsync();
    }
}

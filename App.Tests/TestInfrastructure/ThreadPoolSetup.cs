using System.Runtime.CompilerServices;

namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// Many apps share this test process (test servers, the browser tests' Kestrel host, in-process agents) beside
/// SQLite, whose "async" calls block a thread. On a 2-core CI machine the pool starts with two threads and grows by
/// about one a second, so a burst of blocking work elsewhere can stall the browser tests' server for longer than a
/// click's timeout. Starting with more threads removes that stall; it changes nothing the app does.
/// </summary>
internal static class ThreadPoolSetup
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}

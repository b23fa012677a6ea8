namespace Yurtnet.Daemon.State;

/// <summary>A document that could not be read, moved to the <c>quarantine</c> collection with the reason.</summary>
/// <param name="Collection">Where it was: <c>leases</c> or <c>outbox</c>.</param>
/// <param name="Id">Its _id: for a lease, the address.</param>
/// <param name="Reason">Why it could not be read.</param>
internal sealed record QuarantinedDocument(string Collection, string Id, string Reason);

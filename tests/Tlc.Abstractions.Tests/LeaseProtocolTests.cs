using Tlc.Cluster;

namespace Tlc.Abstractions.Tests;

public sealed class LeaseProtocolTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);
    private static readonly WorkerRef A = new("a", "1");
    private static readonly WorkerRef B = new("b", "1");

    [Fact]
    public void TryLease_Pending_GrantsFirstAttempt_ThenNotAvailable()
    {
        var state = new LeaseState();
        var grant = LeaseProtocol.TryLease(state, 4, A, T0, Lease, 3);

        Assert.NotNull(grant);
        Assert.Equal((4, 1, T0 + Lease), (grant.Item, grant.Attempt, grant.Deadline));
        Assert.Equal(WorkStatus.Leased, state.Status);
        Assert.Null(LeaseProtocol.TryLease(state, 4, B, T0 + TimeSpan.FromSeconds(9), Lease, 3));
    }

    [Fact]
    public void TryLease_ExpiredLease_ReassignsWithNextAttempt_OldHolderLosesRenewal()
    {
        var state = new LeaseState();
        var first = LeaseProtocol.TryLease(state, 0, A, T0, Lease, 3)!;
        var second = LeaseProtocol.TryLease(state, 0, B, T0 + Lease, Lease, 3)!;

        Assert.Equal(2, second.Attempt);
        Assert.Equal(B, state.Holder);
        Assert.Equal(1, state.Expirations);
        Assert.Equal(RenewOutcome.Lost, LeaseProtocol.Renew(state, first.Token, T0 + Lease, Lease));
        Assert.Equal(RenewOutcome.Renewed, LeaseProtocol.Renew(state, second.Token, T0 + Lease, Lease));
    }

    [Fact]
    public void Renew_AfterDeadline_IsLost()
    {
        var state = new LeaseState();
        var grant = LeaseProtocol.TryLease(state, 0, A, T0, Lease, 3)!;
        Assert.Equal(RenewOutcome.Lost, LeaseProtocol.Renew(state, grant.Token, T0 + Lease, Lease));
    }

    [Fact]
    public void Commit_FirstValidWins_RepeatIsDuplicate_LateCommitIsSuperseded()
    {
        var state = new LeaseState();
        LeaseProtocol.TryLease(state, 0, A, T0, Lease, 3);
        LeaseProtocol.TryLease(state, 0, B, T0 + Lease, Lease, 3);

        // B (attempt 2) commits first; A's late commit of attempt 1 has no effect; B's retry is a no-op.
        Assert.Equal(CommitOutcome.Accepted, LeaseProtocol.Commit(state, "op-b", 2));
        Assert.Equal(CommitOutcome.Superseded, LeaseProtocol.Commit(state, "op-a", 1));
        Assert.Equal(CommitOutcome.Duplicate, LeaseProtocol.Commit(state, "op-b", 2));
        Assert.Equal(("op-b", 2, WorkStatus.Committed), (state.CommittedOperation, state.CommittedAttempt, state.Status));
        Assert.Equal(RenewOutcome.Committed, LeaseProtocol.Renew(state, "any", T0, Lease));
        Assert.Null(LeaseProtocol.TryLease(state, 0, A, T0 + (5 * Lease), Lease, 3));
    }

    [Fact]
    public void Commit_LateWorkerBeforeReassignedOne_FirstValidStillWins()
    {
        var state = new LeaseState();
        LeaseProtocol.TryLease(state, 0, A, T0, Lease, 3);
        LeaseProtocol.TryLease(state, 0, B, T0 + Lease, Lease, 3);
        Assert.Equal(CommitOutcome.Accepted, LeaseProtocol.Commit(state, "op-a", 1));
        Assert.Equal(CommitOutcome.Superseded, LeaseProtocol.Commit(state, "op-b", 2));
    }

    [Fact]
    public void Commit_NeverGrantedAttempt_IsRejected()
    {
        var state = new LeaseState();
        Assert.Equal(CommitOutcome.Rejected, LeaseProtocol.Commit(state, "op", 1));
        LeaseProtocol.TryLease(state, 0, A, T0, Lease, 3);
        Assert.Equal(CommitOutcome.Rejected, LeaseProtocol.Commit(state, "op", 2));
    }

    [Fact]
    public void ReportFailure_UntilMaxAttempts_ThenFailedWithEveryError()
    {
        var state = new LeaseState();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var grant = LeaseProtocol.TryLease(state, 0, A, T0, Lease, 3)!;
            Assert.Equal(attempt, grant.Attempt);
            Assert.False(LeaseProtocol.ReportFailure(state, "wrong token", "x", 3));
            Assert.True(LeaseProtocol.ReportFailure(state, grant.Token, $"boom {attempt}", 3));
        }
        Assert.Equal(WorkStatus.Failed, state.Status);
        Assert.Equal(3, state.Errors.Length);
        Assert.Contains("boom 3", state.Errors[2], StringComparison.Ordinal);
        Assert.Null(LeaseProtocol.TryLease(state, 0, A, T0, Lease, 3));
        Assert.Equal(CommitOutcome.Rejected, LeaseProtocol.Commit(state, "late", 3));
        LeaseProtocol.Reset(state);
        Assert.Equal(1, LeaseProtocol.TryLease(state, 0, A, T0, Lease, 3)!.Attempt);
    }

    [Fact]
    public void TryLease_ExpiredOnLastAttempt_FailsTheItem()
    {
        var state = new LeaseState();
        LeaseProtocol.TryLease(state, 0, A, T0, Lease, 1);
        Assert.Null(LeaseProtocol.TryLease(state, 0, B, T0 + Lease, Lease, 1));
        Assert.Equal(WorkStatus.Failed, state.Status);
        Assert.Contains("lease expired", state.Errors[0], StringComparison.Ordinal);
    }
}

public sealed class ExampleIdsTests
{
    [Fact]
    public void Runs_AscendingIds_CompactRuns()
    {
        Assert.Equal([new IdRun(0, 3), new IdRun(5, 1), new IdRun(7, 2)], ExampleIds.Runs([0, 1, 2, 5, 7, 8]));
        Assert.Empty(ExampleIds.Runs([]));
    }

    [Fact]
    public void Runs_DuplicateOrBackwardId_NamesTheId()
    {
        Assert.Contains("example_id 2 appears twice", Assert.Throws<InvalidOperationException>(() => ExampleIds.Runs([1, 2, 2, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("example_id 1 comes after 3", Assert.Throws<InvalidOperationException>(() => ExampleIds.Runs([3, 1])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Digest_OrderIndependent_ChangesWithAnyMissingOrDuplicateId()
    {
        long[] ids = [3, 4, 5, 9];
        var digest = ExampleIds.Digest(ids);
        Assert.Equal(digest, ExampleIds.Digest([9, 5, 4, 3]));
        Assert.Equal(digest, ExampleIds.Digest([new IdRun(3, 3), new IdRun(9, 1)]));
        Assert.NotEqual(digest, ExampleIds.Digest([3, 4, 5]));
        Assert.NotEqual(digest, ExampleIds.Digest([3, 4, 5, 9, 9]));
        Assert.NotEqual(digest, ExampleIds.Digest([3, 4, 6, 9]));
    }
}

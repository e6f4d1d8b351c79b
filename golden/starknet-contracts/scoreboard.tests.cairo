#[cfg(test)]
mod tests {
    use super::{Scoreboard, IScoreboard};

    #[test]
    fn unknown_player_has_zero() {
        let state = Scoreboard::contract_state_for_testing();
        assert_eq!(IScoreboard::points_of(@state, 'nobody'), 0);
        assert_eq!(IScoreboard::total_points(@state), 0);
        assert_eq!(IScoreboard::player_count(@state), 0);
    }

    #[test]
    fn points_are_tracked_per_player() {
        let mut state = Scoreboard::contract_state_for_testing();
        IScoreboard::add_points(ref state, 'alice', 10);
        IScoreboard::add_points(ref state, 'bob', 3);
        IScoreboard::add_points(ref state, 'alice', 5);
        IScoreboard::add_points(ref state, 'carol', 0);
        assert_eq!(IScoreboard::points_of(@state, 'alice'), 15);
        assert_eq!(IScoreboard::points_of(@state, 'bob'), 3);
        assert_eq!(IScoreboard::points_of(@state, 'carol'), 0);
        assert_eq!(IScoreboard::total_points(@state), 18);
        assert_eq!(IScoreboard::player_count(@state), 2);
    }

    #[test]
    fn reset_keeps_totals_consistent() {
        let mut state = Scoreboard::contract_state_for_testing();
        IScoreboard::add_points(ref state, 'alice', 10);
        IScoreboard::add_points(ref state, 'bob', 4);
        IScoreboard::reset(ref state, 'alice');
        IScoreboard::reset(ref state, 'alice');
        IScoreboard::reset(ref state, 'nobody');
        assert_eq!(IScoreboard::points_of(@state, 'alice'), 0);
        assert_eq!(IScoreboard::total_points(@state), 4);
        assert_eq!(IScoreboard::player_count(@state), 1);
        IScoreboard::add_points(ref state, 'alice', 1);
        assert_eq!(IScoreboard::points_of(@state, 'alice'), 1);
        assert_eq!(IScoreboard::total_points(@state), 5);
        assert_eq!(IScoreboard::player_count(@state), 2);
    }
}

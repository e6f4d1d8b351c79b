#[starknet::interface]
pub trait IScoreboard<TContractState> {
    fn add_points(ref self: TContractState, player: felt252, points: u64);
    fn reset(ref self: TContractState, player: felt252);
    fn points_of(self: @TContractState, player: felt252) -> u64;
    fn total_points(self: @TContractState) -> u64;
    fn player_count(self: @TContractState) -> u32;
}

#[starknet::contract]
pub mod Scoreboard {
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };

    #[storage]
    struct Storage {
        points: Map<felt252, u64>,
        total: u64,
        players: u32,
    }

    #[abi(embed_v0)]
    impl ScoreboardImpl of super::IScoreboard<ContractState> {
        fn add_points(ref self: ContractState, player: felt252, points: u64) {
            if points == 0 {
                return;
            }
            let current = self.points.read(player);
            if current == 0 {
                self.players.write(self.players.read() + 1);
            }
            self.points.write(player, current + points);
            self.total.write(self.total.read() + points);
        }

        fn reset(ref self: ContractState, player: felt252) {
            let current = self.points.read(player);
            if current == 0 {
                return;
            }
            self.points.write(player, 0);
            self.total.write(self.total.read() - current);
            self.players.write(self.players.read() - 1);
        }

        fn points_of(self: @ContractState, player: felt252) -> u64 {
            self.points.read(player)
        }

        fn total_points(self: @ContractState) -> u64 {
            self.total.read()
        }

        fn player_count(self: @ContractState) -> u32 {
            self.players.read()
        }
    }
}

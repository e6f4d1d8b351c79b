#[starknet::interface]
pub trait IPausable<TContractState> {
    fn is_paused(self: @TContractState) -> bool;
}

#[starknet::interface]
pub trait ICounterAdmin<TContractState> {
    fn pause(ref self: TContractState);
    fn unpause(ref self: TContractState);
    fn increment(ref self: TContractState);
    fn count(self: @TContractState) -> u32;
}

#[starknet::component]
pub mod PausableComponent {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};

    #[storage]
    pub struct Storage {
        pub paused: bool,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        Paused: Paused,
        Unpaused: Unpaused,
    }

    #[derive(Drop, starknet::Event)]
    pub struct Paused {}

    #[derive(Drop, starknet::Event)]
    pub struct Unpaused {}

    #[embeddable_as(PausableImpl)]
    impl Pausable<
        TContractState, +HasComponent<TContractState>,
    > of super::IPausable<ComponentState<TContractState>> {
        fn is_paused(self: @ComponentState<TContractState>) -> bool {
            self.paused.read()
        }
    }

    #[generate_trait]
    pub impl InternalImpl<
        TContractState, +HasComponent<TContractState>,
    > of InternalTrait<TContractState> {
        fn assert_not_paused(self: @ComponentState<TContractState>) {
            assert(!self.paused.read(), 'Paused');
        }

        fn pause(ref self: ComponentState<TContractState>) {
            assert(!self.paused.read(), 'Already paused');
            self.paused.write(true);
            self.emit(Paused {});
        }

        fn unpause(ref self: ComponentState<TContractState>) {
            assert(self.paused.read(), 'Not paused');
            self.paused.write(false);
            self.emit(Unpaused {});
        }
    }
}

#[starknet::contract]
pub mod PausableCounter {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use starknet::{ContractAddress, get_caller_address};
    use super::PausableComponent;

    component!(path: PausableComponent, storage: pausable, event: PausableEvent);

    #[abi(embed_v0)]
    impl PausableImpl = PausableComponent::PausableImpl<ContractState>;
    impl PausableInternalImpl = PausableComponent::InternalImpl<ContractState>;

    #[storage]
    struct Storage {
        #[substorage(v0)]
        pausable: PausableComponent::Storage,
        admin: ContractAddress,
        count: u32,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        #[flat]
        PausableEvent: PausableComponent::Event,
    }

    #[constructor]
    fn constructor(ref self: ContractState, admin: ContractAddress) {
        self.admin.write(admin);
    }

    #[abi(embed_v0)]
    impl CounterAdminImpl of super::ICounterAdmin<ContractState> {
        fn pause(ref self: ContractState) {
            assert(get_caller_address() == self.admin.read(), 'Not the admin');
            self.pausable.pause();
        }

        fn unpause(ref self: ContractState) {
            assert(get_caller_address() == self.admin.read(), 'Not the admin');
            self.pausable.unpause();
        }

        fn increment(ref self: ContractState) {
            self.pausable.assert_not_paused();
            self.count.write(self.count.read() + 1);
        }

        fn count(self: @ContractState) -> u32 {
            self.count.read()
        }
    }
}

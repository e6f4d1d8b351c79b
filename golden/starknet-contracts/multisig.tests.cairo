#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{IMultisigDispatcher, IMultisigDispatcherTrait, Multisig};

    fn signer(n: felt252) -> ContractAddress {
        n.try_into().unwrap()
    }

    fn deploy(threshold: u32) -> IMultisigDispatcher {
        let signers = array![signer(1), signer(2), signer(3)];
        let mut calldata = array![];
        signers.span().serialize(ref calldata);
        calldata.append(threshold.into());
        let (address, _) = deploy_syscall(Multisig::TEST_CLASS_HASH, 0, calldata.span(), false)
            .unwrap_syscall();
        IMultisigDispatcher { contract_address: address }
    }

    #[test]
    fn two_of_three() {
        let multisig = deploy(2);
        assert!(multisig.is_signer(signer(3)) && !multisig.is_signer(signer(4)));
        set_contract_address(signer(1));
        let id = multisig.propose('pay bob');
        multisig.approve(id);
        assert!(!multisig.is_executable(id));
        set_contract_address(signer(3));
        multisig.approve(id);
        assert_eq!(multisig.approvals(id), 2);
        assert!(multisig.is_executable(id));
        assert!(multisig.has_approved(id, signer(3)));
        assert!(!multisig.has_approved(id, signer(2)));
    }

    #[test]
    fn approvals_are_per_proposal() {
        let multisig = deploy(1);
        set_contract_address(signer(2));
        let first = multisig.propose('a');
        let second = multisig.propose('b');
        assert_eq!((first, second), (0, 1));
        multisig.approve(second);
        assert!(!multisig.has_approved(first, signer(2)));
        assert!(multisig.is_executable(second));
        assert!(!multisig.is_executable(first));
    }

    #[test]
    #[should_panic(expected: ('Already approved', 'ENTRYPOINT_FAILED'))]
    fn no_double_approval() {
        let multisig = deploy(2);
        set_contract_address(signer(1));
        let id = multisig.propose('x');
        multisig.approve(id);
        multisig.approve(id);
    }

    #[test]
    #[should_panic(expected: ('Not a signer', 'ENTRYPOINT_FAILED'))]
    fn outsiders_cannot_propose() {
        let multisig = deploy(2);
        set_contract_address(signer(9));
        multisig.propose('x');
    }

    #[test]
    #[should_panic(expected: ('Unknown proposal', 'ENTRYPOINT_FAILED'))]
    fn unknown_proposal() {
        let multisig = deploy(2);
        set_contract_address(signer(1));
        multisig.approve(0);
    }

    #[test]
    #[should_panic(expected: ('Invalid threshold', 'CONSTRUCTOR_FAILED'))]
    fn threshold_above_the_signers() {
        deploy(4);
    }
}
